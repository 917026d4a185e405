//! `#[lambda_handler(durable)] async fn order(event: Order, ctx: DurableContext) -> Result<R, E>`:
//! the function stays as written (callable from tests with a context of their own), and a
//! handler generated beside it takes Lambda's durable envelope and runs the function through
//! the runtime's `run_durable`, which replays, checkpoints and answers. The generated handler
//! is an ordinary `#[lambda_handler]` one, so names, the registry and shutdown are the same
//! code path.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;

use crate::args::{Args, Around};
use crate::signature::{Param, Signature};

pub(crate) fn handler(args: &Args, sig: &Signature) -> syn::Result<TokenStream> {
    if let Some(init) = &args.init {
        return Err(syn::Error::new_spanned(
            init,
            "a durable handler has no `init` state yet: build shared clients in a `static` \
             (`std::sync::LazyLock`) instead",
        ));
    }
    if args.service {
        return Err(syn::Error::new(
            sig.ident.span(),
            "give `durable` or `service`, not both: a durable function takes its event and a \
             `DurableContext`",
        ));
    }
    if sig.asyncness.is_none() {
        return Err(syn::Error::new(
            sig.ident.span(),
            "a durable handler is an `async fn`: its operations (`ctx.step(..).await`) suspend \
             and resume",
        ));
    }
    if !sig.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &sig.generics,
            "a durable handler cannot be generic: its event and result types are fixed",
        ));
    }
    let (event, context) = match sig.params.as_slice() {
        [
            Param::Typed { ty: event, .. },
            Param::Typed { ty: context, .. },
        ] => (event, context),
        _ => {
            return Err(syn::Error::new(
                sig.paren.span.join(),
                "a durable handler takes its event and the durable context: \
                 `async fn order(event: Order, ctx: DurableContext)`",
            ));
        }
    };
    if !is_durable_context(context) {
        return Err(syn::Error::new_spanned(
            context,
            "a durable handler's second parameter is the durable context, taken by value: \
             `ctx: DurableContext` (from `lambda_handler::durable`)",
        ));
    }
    let Some(output) = &sig.output else {
        return Err(syn::Error::new(
            sig.ident.span(),
            "a durable handler returns the execution's result or its error: \
             `-> Result<Receipt, MyError>`",
        ));
    };
    let ident = &sig.ident;
    let Around {
        name,
        krate,
        krate_arg,
        shutdown,
    } = args.around(ident);
    let generated = format_ident!("__lambda_handler_durable_{}", ident.unraw());
    // Each check is spanned at the user's own type, so that is where rustc reports it: the
    // context's type (which also says when the `durable` feature is off), the event's
    // decoder and the result's outcome, handed to `run_durable` (which bounds neither).
    let context_check = quote_spanned!(context.span()=>
        #krate::__private::durable_context::<#context>();
    );
    let decode = quote_spanned!(event.span()=>
        <#event as #krate::__private::DurableEvent>::__lambda_handler_decode
    );
    let outcome = quote_spanned!(output.span()=>
        <#output as #krate::__private::DurableReturn>::__lambda_handler_outcome
    );
    Ok(quote! {
        #[doc(hidden)]
        #[#krate::lambda_handler(name = #name, __function = #ident, __durable_envelope, #krate_arg #shutdown)]
        async fn #generated(
            __lambda_handler_envelope: #krate::__private::DurableEnvelope,
        ) -> ::core::result::Result<
            #krate::__private::DurableOutput,
            #krate::__private::DurableInvocationError,
        > {
            #context_check
            #krate::__private::run_durable(__lambda_handler_envelope, #decode, #outcome, #ident)
                .await
        }
    })
}

/// `DurableContext`, or a path ending in it: the context a durable handler takes by value
/// (`&Context` or `&DurableContext` would not live across the handler's suspensions).
fn is_durable_context(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Path(path) => path.path.segments.last().is_some_and(|segment| {
            segment.ident == "DurableContext" && segment.arguments.is_empty()
        }),
        syn::Type::Group(group) => is_durable_context(&group.elem),
        _ => false,
    }
}
