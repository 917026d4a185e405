//! What `#[lambda_handler]` generates: the user's function, unchanged, and beside it an entry
//! in the runtime's handler registry. The entry decodes the event, calls the function and
//! encodes what it returns; each step's trait bound is spanned at the user's own type, so a
//! type that cannot be an event or a result is reported there and nowhere else.

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use quote::{format_ident, quote};

use crate::args::Args;
use crate::signature::{Param, Signature};
use crate::validate::{Handler, Tokens, validate};

pub(crate) fn lambda_handler(args: TokenStream, item: TokenStream) -> TokenStream {
    let entry = Args::parse(args)
        .and_then(|args| {
            let sig = syn::parse2::<Signature>(item.clone())?;
            validate(args, &sig)
        })
        .map(|handler| {
            let item = match handler.context {
                Some(_) => allow_unused_context(item.clone()),
                None => item.clone(),
            };
            (item, entry(&handler))
        });
    match entry {
        Ok((item, entry)) => quote!(#item #entry),
        // The function is emitted even when the attribute fails, so that its other errors and
        // IDE completion keep working.
        Err(error) => {
            let error = error.into_compile_error();
            quote!(#item #error)
        }
    }
}

/// Puts `#[allow(unused_variables)]` on the context parameter: taking `ctx` and not reading
/// it is the normal case (the seed handler does), and the lint would otherwise make every
/// such handler write `_ctx`. Nothing else of the function changes.
fn allow_unused_context(item: TokenStream) -> TokenStream {
    let mut tokens: Vec<TokenTree> = item.into_iter().collect();
    let fn_keyword = tokens
        .iter()
        .position(|tt| matches!(tt, TokenTree::Ident(i) if i == "fn"));
    let params = fn_keyword.and_then(|start| {
        let after = tokens[start..].iter().position(
            |tt| matches!(tt, TokenTree::Group(g) if g.delimiter() == Delimiter::Parenthesis),
        );
        after.map(|offset| start + offset)
    });
    let Some(params) = params else {
        return tokens.into_iter().collect();
    };
    let TokenTree::Group(group) = &tokens[params] else {
        unreachable!()
    };
    let inner: Vec<TokenTree> = group.stream().into_iter().collect();
    // The first parameter ends at the first top-level comma before which it parses whole
    // (a comma inside `HashMap<K, V>` does not end it).
    let comma = inner.iter().enumerate().position(|(i, tt)| {
        matches!(tt, TokenTree::Punct(p) if p.as_char() == ',')
            && syn::parse2::<Param>(inner[..i].iter().cloned().collect()).is_ok()
    });
    let Some(comma) = comma else {
        return tokens.into_iter().collect();
    };
    let (first, rest) = inner.split_at(comma + 1);
    let stream = quote!(#(#first)* #[allow(unused_variables)] #(#rest)*);
    let mut replaced = Group::new(Delimiter::Parenthesis, stream);
    replaced.set_span(group.span());
    tokens[params] = TokenTree::Group(replaced);
    tokens.into_iter().collect()
}

fn entry(handler: &Handler) -> TokenStream {
    let krate = &handler.krate;
    let private = quote!(#krate::__private);
    let ident = &handler.ident;
    let name = &handler.name;
    let event = format_ident!("__lambda_handler_event", span = Span::mixed_site());
    let ctx = format_ident!("__lambda_handler_ctx", span = Span::mixed_site());
    let out = format_ident!("__lambda_handler_out", span = Span::mixed_site());
    let result = format_ident!("__lambda_handler_result", span = Span::mixed_site());

    let decode = spanned_call(handler.event, quote!(#private::decode), quote!(#event));
    let decode = quote!(#decode?);
    let context = handler
        .context
        .map(|ty| spanned_call(ty, quote!(#private::context_param), quote!(#ctx)));
    let call = quote!(#ident(#decode, #context));
    let call = if handler.is_async {
        quote!(#call.await)
    } else {
        call
    };
    let ok = spanned_call(handler.ok, quote!(#private::ok_encoder), quote!(&#result));
    let err = spanned_call(handler.err, quote!(#private::err_encoder), quote!(&#result));
    let body = quote! {
        let #result = #call;
        let #result = {
            #[allow(unused_imports)]
            use #private::{DetectResult as _, DetectValue as _};
            (&#result).__lambda_handler_kind().split(#result)
        };
        let __lambda_handler_ok = #ok;
        let __lambda_handler_err = #err;
        #private::respond(#result, #out, __lambda_handler_ok, __lambda_handler_err)
    };
    let invoke = if handler.is_async {
        quote!(#private::Handler::asynchronous(#name, |#event, #ctx, #out| {
            #private::boxed(async move { #body })
        }))
    } else {
        quote!(#private::Handler::synchronous(#name, |#event, #ctx, #out| { #body }))
    };
    quote! {
        const _: () = {
            #[#private::linkme::distributed_slice(#private::HANDLERS)]
            #[linkme(crate = #private::linkme)]
            static __LAMBDA_HANDLER_ENTRY: #private::Handler = #invoke;
        };
    }
}

/// `function(argument)` located from `at.first` to `at.last` (name resolution unchanged), so
/// that rustc underlines a trait bound the call fails on exactly the user's tokens `at` stands
/// for, whichever part of the call it picks.
fn spanned_call(at: Tokens, function: TokenStream, argument: TokenStream) -> TokenStream {
    let mut call = locate(function, at.first);
    let mut argument = locate(argument, at.last).into_iter();
    let first = argument.next().map(|mut tt| {
        tt.set_span(tt.span().located_at(at.first));
        tt
    });
    let mut group = Group::new(
        Delimiter::Parenthesis,
        first.into_iter().chain(argument).collect(),
    );
    group.set_span(at.last);
    call.extend([TokenTree::Group(group)]);
    call
}

fn locate(tokens: TokenStream, at: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tt| {
            if let TokenTree::Group(group) = &tt {
                let mut inner = Group::new(group.delimiter(), locate(group.stream(), at));
                inner.set_span(group.span().located_at(at));
                tt = TokenTree::Group(inner);
            } else {
                tt.set_span(tt.span().located_at(at));
            }
            tt
        })
        .collect()
}
