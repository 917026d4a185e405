//! What `#[lambda_handler]` generates: the user's function, unchanged, and beside it an entry
//! in the runtime's handler registry. The entry decodes the event, calls the function and
//! encodes what it returns; each step's trait bound is spanned at the user's own type, so a
//! type that cannot be an event or a result is reported there and nowhere else.

use proc_macro2::{Delimiter, Group, Ident, Span, TokenStream, TokenTree};
use quote::{format_ident, quote};
use syn::ext::IdentExt;

use crate::args::Args;
use crate::item;
use crate::signature::Signature;
use crate::validate::{Handler, OkShape, State, TokenSpan, validate};

pub(crate) fn lambda_handler(args: TokenStream, item: TokenStream) -> TokenStream {
    let args = Args::parse(args);
    let sig = syn::parse2::<Signature>(item.clone());
    // `#[lambda_handler(service)] fn app() -> Router` and `#[lambda_handler(durable)] async fn
    // f(event: E, ctx: DurableContext)`: the item stays as written, and an ordinary handler
    // is generated beside it (around the service, or taking Lambda's durable envelope).
    if let (Ok(args), Ok(sig)) = (&args, &sig)
        && (args.service || args.durable)
    {
        let generated = if args.service {
            crate::service::handler(args, sig)
        } else {
            crate::durable::handler(args, sig)
        };
        let item = item::reemit(item);
        return match generated {
            Ok(handler) => quote!(#item #handler),
            Err(error) => {
                let error = error.into_compile_error();
                quote!(#item #error)
            }
        };
    }
    let handler = match (args, &sig) {
        (Ok(args), Ok(sig)) => validate(args, sig),
        (Err(mut first), Err(second)) => {
            first.combine(second.clone());
            Err(first)
        }
        (Err(error), _) => Err(error),
        (_, Err(error)) => Err(error.clone()),
    };
    // The function is emitted even when the attribute fails, so that its other errors and
    // IDE completion keep working.
    let item = if sig.is_ok() {
        item::reemit(item)
    } else {
        item
    };
    match handler {
        Ok(handler) => {
            let entry = entry(&handler);
            quote!(#item #entry)
        }
        Err(error) => {
            let error = error.into_compile_error();
            quote!(#item #error)
        }
    }
}

fn entry(handler: &Handler) -> TokenStream {
    let krate = &handler.krate;
    // One import of the runtime, so a wrong `crate = "..."` is one error, at the argument.
    let private = format_ident!("__lambda_handler_private", span = Span::mixed_site());
    let ident = &handler.ident;
    let name = &handler.name;
    // The event on entry, the response body on the way out (see the runtime's `SyncInvoke`).
    let body = format_ident!("__lambda_handler_body", span = Span::mixed_site());
    let ctx = format_ident!("__lambda_handler_ctx", span = Span::mixed_site());
    let state = format_ident!("__lambda_handler_state", span = Span::mixed_site());
    let result = format_ident!("__lambda_handler_result", span = Span::mixed_site());
    // What decoding tells encoding (an HTTP request's source, whose shape its response takes):
    // a local of this one invocation.
    let shape = format_ident!("__lambda_handler_shape", span = Span::mixed_site());

    // Each parameter's bound is checked through a path that names the user's own type: a
    // type that does not fit is reported on the user's tokens, with nothing after it that
    // points into the runtime's source.
    let decode = qualified_call(
        &handler.event,
        quote!(#private::Event<_>>::__lambda_handler_decode),
        quote!(#body, &#shape),
    );
    let context = handler.context.as_ref().map(|ty| {
        qualified_call(
            ty,
            quote!(#private::ContextParam>::from_context),
            quote!(#ctx),
        )
    });
    let state_arg = handler.state.as_ref().map(|declared| {
        let ty = &declared.ty;
        quote!(#private::state::<#ty>(#state))
    });
    let args = [Some(quote!(#decode?)), context, state_arg]
        .into_iter()
        .flatten();
    // `(handler)(..)`: the function named as a value, as `of_function` names it below, so that
    // a handler rustc cannot find (one in an `impl` block) is one error, not two.
    let call = quote!((#ident)(#(#args),*));
    let call = if handler.is_async {
        quote!(#call.await)
    } else {
        call
    };
    // `Response::encode(value, out)`, its type inferred from the result: a type that is not a
    // response is reported on the user's return type, as the bound of that call, not as a
    // bound of a function in the runtime (rustc would add a note pointing into its source).
    let value = format_ident!("__lambda_handler_value", span = Span::mixed_site());
    let out = format_ident!("__lambda_handler_out", span = Span::mixed_site());
    // The check's trait carries the advice, which depends on how the result's type is written.
    let check = match handler.ok_shape {
        OkShape::Named => quote!(#private::Response),
        OkShape::ImplTrait => quote!(#private::ImplResponse),
        OkShape::HoldsStreaming => quote!(#private::StreamInside),
    };
    let shape_param = format_ident!("__lambda_handler_shape_param", span = Span::mixed_site());
    let encode = spanned_call(
        handler.ok,
        quote!(#check::__lambda_handler_encode),
        quote!(#value, #out, #shape_param),
    );
    // The parameters' types written out: the closure then takes any lifetimes, as `Encoder`
    // needs.
    let ok =
        quote!(|#value, #out: &mut ::std::vec::Vec<u8>, #shape_param: &#private::Shape| #encode);
    let tag = spanned_call(
        handler.err,
        quote!(#private::ErrorTag::of),
        quote!(&#result),
    );
    let picked = locate(
        quote!((&&&&&#tag).__lambda_handler_err_encoder()),
        handler.err,
    );
    let err = spanned_call(
        handler.err,
        quote!(#private::HandlerError::__lambda_handler_encoder),
        quote!(&#result, #picked),
    );
    // Generated locals are mixed-site: a user's `const error` (or any name) in scope never
    // meets them.
    let ok_var = format_ident!("__lambda_handler_ok", span = Span::mixed_site());
    let err_var = format_ident!("__lambda_handler_err", span = Span::mixed_site());
    let respond = quote! {
        let #shape = #private::Shape::new();
        let #result = #call;
        let #result = {
            #[allow(unused_imports)]
            use #private::{DetectResult as _, DetectValue as _};
            (&#result).__lambda_handler_kind().split(#result)
        };
        let #ok_var = #ok;
        let #err_var = {
            #[allow(unused_imports)]
            use #private::{ViaDisplay as _, ViaDynError as _, ViaError as _, ViaInto as _, ViaNothing as _};
            #err
        };
        #private::respond(#result, #body, &#shape, #ok_var, #err_var)
    };
    let invoke = if handler.is_async {
        quote!(#private::Handler::asynchronous(#name, |#body, #ctx, #state| {
            #private::boxed(async move { #respond })
        }))
    } else {
        quote!(#private::Handler::synchronous(#name, |#body, #ctx, #state| { #respond }))
    };
    let invoke = match &handler.state {
        Some(declared) => {
            let init = init(declared, &private);
            let ty = &declared.ty;
            quote!(#invoke.with_init(#init, || ::core::any::TypeId::of::<#ty>()))
        }
        None => invoke,
    };
    // Known by the function's own type too, for `TestHandler::new(my_handler)`.
    let function = match &handler.function {
        Some(path) => quote!(#path),
        None => quote!(#ident),
    };
    let invoke = quote!(#invoke.of_function(|| #private::type_id_of(&#function)));
    let invoke = if handler.durable_envelope {
        quote!(#invoke.durable())
    } else {
        invoke
    };
    let invoke = match &handler.shutdown {
        Some(hook) => {
            let hook = shutdown(hook, handler.state.as_ref(), &private);
            quote!(#invoke.with_shutdown(#hook))
        }
        None => invoke,
    };
    // A named `const` rather than `const _`: inside an `impl` block, where `const _` is not
    // allowed, the only error left is rustc's "cannot find function" on the handler's name.
    let entry = format_ident!("__lambda_handler_entry_{}", ident.unraw());
    quote! {
        #[allow(non_upper_case_globals, dead_code)]
        #[doc(hidden)]
        const #entry: () = {
            use #krate::__private as #private;
            // Inside a macro of the runtime's: when the import fails (a wrong `crate = "..."`),
            // rustc reports only the import, not every path below it.
            #private::entry! {
                #[#private::linkme::distributed_slice(#private::HANDLERS)]
                #[linkme(crate = #private::linkme)]
                static __LAMBDA_HANDLER_ENTRY: #private::Handler = #invoke;
            }
        };
    }
}

/// The entry's `init`: calls the user's init function, awaits it when it is `async`, takes
/// `Err` as the init error (reported as a handler's error is), and checks that what it built
/// is the type of the handler's state parameter, on that parameter's tokens.
fn init(state: &State, private: &Ident) -> TokenStream {
    let function = &state.init;
    let built = format_ident!("__lambda_handler_built", span = Span::mixed_site());
    let err_var = format_ident!("__lambda_handler_err", span = Span::mixed_site());
    let error_var = format_ident!("__lambda_handler_error", span = Span::mixed_site());
    // An init error type without `Display` is reported at the init function's path.
    let at = TokenSpan::of(function);
    let picked = locate(
        quote!((&&&&&#private::ErrorTag::of(&#built)).__lambda_handler_err_encoder()),
        at,
    );
    let err = spanned_call(
        at,
        quote!(#private::HandlerError::__lambda_handler_encoder),
        quote!(&#built, #picked),
    );
    let check = qualified_call(
        &state.ty,
        quote!(#private::StateFrom<_>>::__lambda_handler_state),
        quote!(#built),
    );
    quote! {
        || #private::boxed_init(async {
            let #built = #function();
            let #built = {
                #[allow(unused_imports)]
                use #private::{DetectInitFuture as _, DetectInitValue as _};
                (&#built).__lambda_handler_init_kind().resolve(#built)
            }
            .await;
            let #built = {
                #[allow(unused_imports)]
                use #private::{DetectResult as _, DetectValue as _};
                (&#built).__lambda_handler_kind().split(#built)
            };
            let #err_var = {
                #[allow(unused_imports)]
                use #private::{ViaDisplay as _, ViaDynError as _, ViaError as _, ViaInto as _, ViaNothing as _};
                #err
            };
            match #built {
                ::core::result::Result::Ok(#built) => {
                    // Shareable by concurrent invocation loops when the state is `Sync`.
                    #[allow(unused_imports)]
                    use #private::{EraseShared as _, EraseThreadBound as _};
                    ::core::result::Result::Ok(
                        (&&#private::Erase::new(#check)).__lambda_handler_erase(),
                    )
                }
                ::core::result::Result::Err(#error_var) => {
                    ::core::result::Result::Err(#err_var(#error_var))
                }
            }
        })
    }
}

/// The entry's shutdown hook: calls the user's function (with the state, when the handler
/// has one) and awaits it when it is `async`.
fn shutdown(hook: &syn::Path, state: Option<&State>, private: &Ident) -> TokenStream {
    let state_var = format_ident!("__lambda_handler_state", span = Span::mixed_site());
    let ran = format_ident!("__lambda_handler_ran", span = Span::mixed_site());
    let argument = state.map(|declared| {
        let ty = &declared.ty;
        quote!(#private::state::<#ty>(#state_var))
    });
    quote! {
        |#state_var| #private::boxed_shutdown(async move {
            let #ran = #hook(#argument);
            let _ = {
                #[allow(unused_imports)]
                use #private::{DetectInitFuture as _, DetectInitValue as _};
                (&#ran).__lambda_handler_init_kind().resolve(#ran)
            }
            .await;
        })
    }
}

/// `<ty as trait_method(argument)`, every token but the user's type located at the type, so
/// that whichever part rustc blames (the type, the path or the call) is the user's type.
fn qualified_call(
    ty: &TokenStream,
    trait_method: TokenStream,
    argument: TokenStream,
) -> TokenStream {
    let at = TokenSpan::of(ty);
    let mut call = locate(quote!(<), at);
    call.extend(ty.clone());
    call.extend(locate(
        quote!(as),
        TokenSpan {
            first: at.last,
            last: at.last,
        },
    ));
    call.extend(locate(
        trait_method,
        TokenSpan {
            first: at.last,
            last: at.last,
        },
    ));
    let mut group = Group::new(Delimiter::Parenthesis, locate(argument, at));
    group.set_span(at.last);
    call.extend([TokenTree::Group(group)]);
    call
}

/// `function(argument)` located from `at.first` to `at.last`: the
/// first token of the function path and of the argument at `at.first`, every other token at
/// `at.last`. Whichever expression rustc blames for a failed trait bound (the path, the call
/// or the argument) then underlines exactly the user's tokens `at` stands for.
fn spanned_call(at: TokenSpan, function: TokenStream, argument: TokenStream) -> TokenStream {
    let mut call = locate(function, at);
    let mut group = Group::new(Delimiter::Parenthesis, locate(argument, at));
    group.set_span(at.last);
    call.extend([TokenTree::Group(group)]);
    call
}

fn locate(tokens: TokenStream, at: TokenSpan) -> TokenStream {
    let mut first = true;
    tokens
        .into_iter()
        .map(|mut tt| {
            let span = if std::mem::take(&mut first) {
                at.first
            } else {
                at.last
            };
            // One hygiene context for all of the call (mixed-site: locals stay the macro's,
            // items resolve as at the call site); rustc joins two spans into one underline
            // only when their contexts agree.
            tt.set_span(Span::mixed_site().located_at(span));
            tt
        })
        .collect()
}
