//! `#[lambda_handler(service)] fn app() -> Router`: the function builds a `tower::Service` (an
//! axum `Router`) once, as an `init` does, and a handler generated beside it routes each HTTP
//! request through it with the runtime's `call_service`. The generated handler is an ordinary
//! `#[lambda_handler(init = app)]` one, so everything else (names, registry, shutdown) is the
//! same code path.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;

use crate::args::{Args, Around};
use crate::signature::Signature;

pub(crate) fn handler(args: &Args, sig: &Signature) -> syn::Result<TokenStream> {
    if let Some(init) = &args.init {
        return Err(syn::Error::new_spanned(
            init,
            "`service` builds the handler's state itself: remove `init`",
        ));
    }
    if let Some(param) = sig.params.first() {
        return Err(syn::Error::new_spanned(
            param.tokens(),
            "a `service` function takes no parameters: it builds the service once, and the \
             runtime hands it each request",
        ));
    }
    let Some(output) = &sig.output else {
        return Err(syn::Error::new(
            sig.ident.span(),
            "a `service` function returns the service that answers each request, such as \
             `fn app() -> axum::Router`",
        ));
    };
    if !sig.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &sig.generics,
            "a `service` function cannot be generic: it returns one service type",
        ));
    }
    let ident = &sig.ident;
    let Around {
        name,
        krate,
        krate_arg,
        shutdown,
    } = args.around(ident);
    let generated = format_ident!("__lambda_handler_service_{}", ident.unraw());
    // The service's type as the user wrote it: `call_service`'s bounds are then reported there.
    let call = quote_spanned!(output.span()=>
        <#output as #krate::__private::HttpService<_>>::__lambda_handler_call(
            __lambda_handler_service,
            __lambda_handler_request,
        )
        .await
    );
    Ok(quote! {
        #[doc(hidden)]
        #[#krate::lambda_handler(init = #ident, name = #name, __function = #ident, #krate_arg #shutdown)]
        async fn #generated(
            __lambda_handler_request: #krate::__private::ServiceRequest,
            __lambda_handler_service: &#output,
        ) -> ::core::result::Result<
            #krate::__private::ServiceResponse,
            #krate::__private::ServiceError,
        > {
            #call
        }
    })
}
