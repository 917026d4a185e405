//! What `#[lambda_handler]` accepts: turns a parsed signature into the facts `expand` needs,
//! or into one error per mistake, each on the user's own tokens.

use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::{GenericArgument, Path, PathArguments, Type};

use crate::args::Args;
use crate::signature::{Param, Signature};

/// A valid handler, as `expand` generates its entry point.
pub(crate) struct Handler {
    pub(crate) ident: Ident,
    pub(crate) name: String,
    pub(crate) krate: Path,
    pub(crate) is_async: bool,
    /// The event's type as the user wrote it: the entry names it, so that a type that is not
    /// an event is reported on the user's tokens.
    pub(crate) event: TokenStream,
    /// The second parameter's type as written, named lifetimes made `'_` (the entry is
    /// outside the function, where they are not declared).
    pub(crate) context: Option<TokenStream>,
    /// The state `init` builds, when the handler takes one.
    pub(crate) state: Option<State>,
    /// `shutdown = flush`: run on SIGTERM, with the state when there is one.
    pub(crate) shutdown: Option<Path>,
    /// Where a result that cannot be serialized is reported: the `Ok` type of a `Result`
    /// written as such, else the whole return type.
    pub(crate) ok: TokenSpan,
    /// What the result's type looks like, for the advice rustc gives when it is not one.
    pub(crate) ok_shape: OkShape,
    /// Where an error type without `Display` is reported.
    pub(crate) err: TokenSpan,
    /// The function `TestHandler::new` names for this handler, when not the handler itself
    /// (a `service` function the handler is generated around).
    pub(crate) function: Option<Path>,
}

/// What a handler's result type looks like as written, for advice that fits it when it cannot
/// be a response (only the message depends on it).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum OkShape {
    /// A type: derive `Serialize` on it.
    Named,
    /// `impl Trait`: the trait must be `Serialize`.
    ImplTrait,
    /// A type with `Streaming` inside it (`Option<Streaming>`): a stream is the whole response.
    HoldsStreaming,
}

impl OkShape {
    fn of(ty: &Type) -> Self {
        if matches!(ty, Type::ImplTrait(_)) {
            return OkShape::ImplTrait;
        }
        let is_streaming = |ty: &Type| matches!(ty, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Streaming"));
        let mentions_streaming = ty
            .to_token_stream()
            .into_iter()
            .any(|tt| matches!(tt, TokenTree::Ident(ident) if ident == "Streaming"));
        if !is_streaming(ty) && mentions_streaming {
            OkShape::HoldsStreaming
        } else {
            OkShape::Named
        }
    }
}

/// A handler's state: the type its last parameter refers to, and the function that builds it.
pub(crate) struct State {
    /// `S` of the parameter `state: &S`, named lifetimes made `'_`.
    pub(crate) ty: TokenStream,
    pub(crate) init: Path,
}

/// The first and last span of some of the user's tokens: rustc underlines from one to the
/// other when generated code carries them (stable proc macros cannot join spans).
#[derive(Clone, Copy)]
pub(crate) struct TokenSpan {
    pub(crate) first: Span,
    pub(crate) last: Span,
}

impl TokenSpan {
    pub(crate) fn of(tokens: &impl ToTokens) -> Self {
        let mut iter = tokens.to_token_stream().into_iter();
        let first = iter.next().map_or_else(Span::call_site, |tt| tt.span());
        let last = iter.last().map_or(first, |tt| tt.span());
        TokenSpan { first, last }
    }
}

/// Collects independent mistakes so the user sees all of them at once.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, span: impl ToTokens, message: impl std::fmt::Display) {
        let error = syn::Error::new_spanned(span, message);
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }
}

pub(crate) fn validate(args: Args, sig: &Signature) -> syn::Result<Handler> {
    let mut errors = Errors::default();
    if let Some(unsafety) = &sig.unsafety {
        errors.push(
            unsafety,
            "a Lambda handler cannot be `unsafe fn`: the runtime calls it with no way to uphold \
             its safety contract; remove `unsafe` and use an `unsafe` block inside",
        );
    }
    if let Some(abi) = &sig.abi {
        errors.push(
            abi,
            "a Lambda handler cannot have an `extern` ABI: the runtime calls it as a Rust \
             function; remove the `extern` qualifier",
        );
    }
    if !sig.has_body {
        errors.push(&sig.ident, "a Lambda handler needs a body");
    }
    // Lifetime parameters are fine (`ctx: &'a Context`); a borrowing event is refused below.
    let generic = sig
        .generics
        .params
        .iter()
        .any(|p| !matches!(p, syn::GenericParam::Lifetime(_)));
    if generic {
        errors.push(
            &sig.generics,
            "a Lambda handler cannot be generic: the runtime needs one concrete event type \
             and one concrete result type; remove the generic parameters",
        );
    }

    // A receiver is one mistake: the parameters after it are checked as if it were gone, so
    // `(&self, event, ctx)` is not also "too many parameters".
    for param in &sig.params {
        if let Param::Receiver(tokens) = param {
            errors.push(
                tokens,
                "a Lambda handler is a free function, not a method: move it out of the `impl` \
                 block and take the event as its first parameter",
            );
        }
    }
    let params: Vec<&Param> = sig
        .params
        .iter()
        .filter(|p| !matches!(p, Param::Receiver(_)))
        .collect();
    // With `init`, the last parameter is the state: `(event, state)` or `(event, ctx, state)`.
    let limit = if args.init.is_some() { 3 } else { 2 };
    let state_at = args
        .init
        .as_ref()
        .filter(|_| (2..=3).contains(&params.len()))
        .map(|_| params.len() - 1);
    let mut event = None;
    let mut context = None;
    let mut state = None;
    for (index, param) in params.iter().enumerate().take(limit) {
        match param {
            Param::Receiver(_) => unreachable!("filtered above"),
            Param::Variadic(tokens) => errors.push(
                tokens,
                "a Lambda handler cannot be variadic: it takes `(event: Event)` or \
                 `(event: Event, ctx: &Context)`",
            ),
            // `fn h(ctx: &Context, order: Order)`: say it in the user's own names.
            Param::Typed { ty, tokens } if index == 0 && is_context_reference(ty) => {
                let swapped = match params.get(1) {
                    Some(Param::Typed { tokens: event, .. }) => {
                        format!("`fn {}({}, {})`", sig.ident, tidy(event), tidy(tokens))
                    }
                    _ => "`fn handler(event: Event, ctx: &Context)`".to_owned(),
                };
                errors.push(
                    ty,
                    format_args!(
                        "a Lambda handler takes the event first and the context second: {swapped}"
                    ),
                );
            }
            Param::Typed { ty, .. } if index == 0 => match event_type_problem(ty) {
                Some(message) => errors.push(ty, message),
                None => event = Some(ty.to_token_stream()),
            },
            Param::Typed { ty, .. } if Some(index) == state_at => match &**ty {
                Type::Reference(reference) if reference.mutability.is_none() => {
                    state = Some(anonymous_lifetimes(reference.elem.to_token_stream()));
                }
                _ => errors.push(
                    ty,
                    format_args!(
                        "a handler's state is built once and shared by every invocation: take \
                         it by shared reference, `state: &{}`",
                        pretty_referent(ty)
                    ),
                ),
            },
            Param::Typed { ty, .. } => match impl_trait(ty) {
                Some(_) => errors.push(
                    ty,
                    "a Lambda handler's second parameter is the invocation context: write \
                     `ctx: &Context` (`lambda_handler::Context`)",
                ),
                None => context = Some(anonymous_lifetimes(ty.to_token_stream())),
            },
        }
    }
    if let Some(extra) = params.get(limit..).filter(|extra| !extra.is_empty()) {
        let tokens: Vec<_> = extra.iter().map(|p| p.tokens()).collect();
        let message = if args.init.is_some() {
            "a Lambda handler with `init` takes at most three parameters, \
             `(event: Event, ctx: &Context, state: &State)`; remove the others"
        } else {
            "a Lambda handler takes at most two parameters, `(event: Event, ctx: &Context)`; \
             remove the others, or build state once with `#[lambda_handler(init = build_state)]` \
             and take it as the last, `state: &State`"
        };
        errors.push(quote::quote!(#(#tokens)*), message);
    }
    if let (Some(init), 1) = (&args.init, params.len()) {
        errors.push(
            init,
            format_args!(
                "`init = {}` builds this handler's state: take it as the last parameter, \
                 `state: &State`",
                pretty_path(init)
            ),
        );
    }
    if params.is_empty() && sig.params.is_empty() {
        errors.push(
            quote::quote_spanned!(sig.paren.span.join()=> ()),
            "a Lambda handler takes the event as its first parameter: \
             `fn handler(event: Event, ctx: &Context)`; take `serde_json::Value` to accept any \
             event",
        );
    }

    let (ok, err, ok_shape) = match &sig.output {
        None => {
            let at = TokenSpan::of(&sig.ident);
            (at, at, OkShape::Named)
        }
        Some(ty) => {
            let ok_type = result_ok_type(ty).unwrap_or(ty);
            let (ok, err) = result_parts(ty).unwrap_or((TokenSpan::of(ty), TokenSpan::of(ty)));
            (ok, err, OkShape::of(ok_type))
        }
    };

    if let Some(error) = errors.0 {
        return Err(error);
    }
    let name = match &args.name {
        Some(lit) => lit.value(),
        None => sig.ident.unraw().to_string(),
    };
    Ok(Handler {
        ident: sig.ident.clone(),
        name,
        krate: args
            .krate
            .unwrap_or_else(|| syn::parse_quote!(::lambda_handler)),
        is_async: sig.asyncness.is_some(),
        event: event.expect("a first parameter exists when there is no error"),
        context,
        state: state.map(|ty| State {
            ty,
            init: args
                .init
                .expect("a state parameter exists only with `init`"),
        }),
        shutdown: args.shutdown,
        ok,
        ok_shape,
        err,
        function: args.function,
    })
}

/// `T` for `&T` or `&mut T`, else the type itself, for messages.
fn pretty_referent(ty: &Type) -> String {
    match ty {
        Type::Reference(reference) => pretty(&reference.elem),
        other => pretty(other),
    }
}

fn pretty_path(path: &Path) -> String {
    path.to_token_stream().to_string().replace(' ', "")
}

/// `'a` made `'_` everywhere in a type.
fn anonymous_lifetimes(tokens: TokenStream) -> TokenStream {
    let mut after_quote = false;
    tokens
        .into_iter()
        .map(|tt| {
            let tt = match tt {
                TokenTree::Ident(ident) if after_quote && ident != "static" => {
                    TokenTree::Ident(Ident::new("_", ident.span()))
                }
                TokenTree::Group(group) => {
                    let mut anonymous = proc_macro2::Group::new(
                        group.delimiter(),
                        anonymous_lifetimes(group.stream()),
                    );
                    anonymous.set_span(group.span());
                    TokenTree::Group(anonymous)
                }
                other => other,
            };
            after_quote = matches!(&tt, TokenTree::Punct(p) if p.as_char() == '\'');
            tt
        })
        .collect()
}

/// Tokens as a user writes them, for messages: `order: Order`, `ctx: &Context`.
fn tidy(tokens: &TokenStream) -> String {
    let mut text = tokens.to_string();
    for (from, to) in [
        (" : ", ": "),
        (" :", ":"),
        ("& ", "&"),
        (" :: ", "::"),
        (" < ", "<"),
        (" >", ">"),
    ] {
        text = text.replace(from, to);
    }
    text
}

/// Whether a type is written as `&Context` (or `&lambda_handler::Context`, `&mut Context`).
fn is_context_reference(ty: &Type) -> bool {
    matches!(ty, Type::Reference(reference)
        if matches!(&*reference.elem, Type::Path(path)
            if path.path.segments.last().is_some_and(|s| s.ident == "Context")))
}

/// Why this type cannot be decoded from an event, when syntax alone tells.
fn event_type_problem(ty: &Type) -> Option<String> {
    // `&Order`: the event is decoded for this call, so take it by value (`&str` and other
    // borrowing types get the advice below).
    if let Type::Reference(reference) = ty
        && borrowed(&reference.elem).is_none()
        && !matches!(&*reference.elem, Type::Path(p) if p.path.is_ident("str"))
        && !matches!(&*reference.elem, Type::Slice(_))
    {
        return Some(format!(
            "a Lambda handler takes its event by value: write `{}` (the event is decoded for \
             each invocation, and the handler owns it)",
            pretty(&reference.elem)
        ));
    }
    if impl_trait(ty).is_some() {
        return Some(
            "a Lambda handler's event cannot be `impl Trait`: name a concrete type that \
             implements `serde::Deserialize`, or take `serde_json::Value`"
                .to_owned(),
        );
    }
    if borrowed(ty).is_some() {
        return Some(format!(
            "a Lambda handler's event must own its data, but `{}` borrows: the request body \
             is dropped once the event is decoded; use owned types such as `String` instead \
             of `&str`",
            pretty(ty)
        ));
    }
    None
}

/// A type as a user writes it, for messages: `Cow<'a, str>`, not `Cow < 'a , str >`.
fn pretty(ty: &Type) -> String {
    let mut text = ty.to_token_stream().to_string();
    for (from, to) in [
        (" < ", "<"),
        (" <", "<"),
        (" >", ">"),
        (" ,", ","),
        ("& ", "&"),
        (" :: ", "::"),
    ] {
        text = text.replace(from, to);
    }
    text
}

/// The span of an `impl` keyword anywhere in the type.
fn impl_trait(ty: &Type) -> Option<Span> {
    fn find(tokens: TokenStream) -> Option<Span> {
        tokens.into_iter().find_map(|tt| match tt {
            TokenTree::Ident(ident) if ident == "impl" => Some(ident.span()),
            TokenTree::Group(group) => find(group.stream()),
            _ => None,
        })
    }
    find(ty.to_token_stream())
}

/// The span of a reference or a lifetime other than `'static` anywhere in the type.
fn borrowed(ty: &Type) -> Option<Span> {
    fn find(tokens: TokenStream) -> Option<Span> {
        let mut tokens = tokens.into_iter().peekable();
        while let Some(tt) = tokens.next() {
            match tt {
                TokenTree::Punct(p) if p.as_char() == '&' => return Some(p.span()),
                TokenTree::Punct(p)
                    if p.as_char() == '\''
                        && !matches!(tokens.peek(), Some(TokenTree::Ident(i)) if i == "static") =>
                {
                    return Some(p.span());
                }
                TokenTree::Group(group) => {
                    if let Some(span) = find(group.stream()) {
                        return Some(span);
                    }
                }
                _ => {}
            }
        }
        None
    }
    find(ty.to_token_stream())
}

/// `T`, and `E` when written, of `Result<T, E>` or `Result<T>` (an alias such as
/// `anyhow::Result`), as written.
fn result_types(ty: &Type) -> Option<(&Type, Option<&Type>)> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let mut types = args.args.iter().filter_map(|arg| match arg {
        GenericArgument::Type(ty) => Some(ty),
        _ => None,
    });
    Some((types.next()?, types.next()))
}

/// `T` of `Result<T, E>` or `Result<T>`, as written.
fn result_ok_type(ty: &Type) -> Option<&Type> {
    result_types(ty).map(|(ok, _)| ok)
}

/// The tokens of `T` and of `E` of `Result<T, E>` or `Result<T>` (of the whole type when `E` is
/// not written). Only spans come from this; whether the value is a `Result` is decided by its
/// type, so a guess here cannot change behaviour.
fn result_parts(ty: &Type) -> Option<(TokenSpan, TokenSpan)> {
    let (ok, err) = result_types(ty)?;
    Some((
        TokenSpan::of(ok),
        err.map_or_else(|| TokenSpan::of(ty), TokenSpan::of),
    ))
}

#[cfg(test)]
mod tests {
    use super::validate;
    use crate::args::Args;
    use crate::signature::Signature;
    use quote::quote;

    fn check(
        args: proc_macro2::TokenStream,
        item: proc_macro2::TokenStream,
    ) -> syn::Result<super::Handler> {
        let sig: Signature = syn::parse2(item).expect("a function");
        validate(Args::parse(args).expect("valid arguments"), &sig)
    }

    fn errors(item: proc_macro2::TokenStream) -> Vec<String> {
        match check(quote!(), item) {
            Ok(_) => panic!("expected errors"),
            Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn the_seed_handler_is_valid() {
        let h = check(
            quote!(),
            quote!(
                fn my_handler(event: Name, ctx: &Context) -> Greeting {
                    todo!()
                }
            ),
        )
        .unwrap();
        assert_eq!(h.name, "my_handler");
        assert!(!h.is_async && h.context.is_some());
        assert_eq!(h.krate.segments[0].ident, "lambda_handler");
    }

    #[test]
    fn arguments_rename_and_relocate() {
        let h = check(
            quote!(name = "greet", crate = "rt"),
            quote!(
                async fn r#type(e: u8) {}
            ),
        )
        .unwrap();
        assert_eq!(h.name, "greet");
        assert!(h.is_async && h.context.is_none());
        assert_eq!(h.krate.segments[0].ident, "rt");
        let h = check(
            quote!(),
            quote!(
                fn r#type(e: u8) {}
            ),
        )
        .unwrap();
        assert_eq!(h.name, "type");
    }

    #[test]
    fn lifetimes_alone_are_not_generics() {
        assert!(
            check(
                quote!(),
                quote!(
                    fn h<'a>(e: String, ctx: &'a Context) {}
                )
            )
            .is_ok()
        );
        assert!(
            errors(quote!(
                fn h<T>(e: T) {}
            ))[0]
                .starts_with("a Lambda handler cannot be generic")
        );
        assert!(
            errors(quote!(
                fn h<const N: usize>(e: u8) {}
            ))[0]
                .starts_with("a Lambda handler cannot be generic")
        );
    }

    #[test]
    fn an_event_by_reference_is_told_to_take_it_by_value_and_the_context_to_go_second() {
        let by_reference = errors(quote!(
            fn h(order: &Order) {}
        ));
        assert!(
            by_reference[0].starts_with("a Lambda handler takes its event by value: write `Order`"),
            "{by_reference:?}"
        );
        let context_first = errors(quote!(
            fn h(ctx: &Context, order: Order) {}
        ));
        assert!(
            context_first[0].starts_with("a Lambda handler takes the event first"),
            "{context_first:?}"
        );
    }

    #[test]
    fn borrowed_events_are_refused_but_static_owned_ones_are_not() {
        for item in [
            quote!(
                fn h(e: &str) {}
            ),
            quote!(
                fn h(e: Vec<&str>) {}
            ),
            quote!(
                fn h<'a>(e: Name<'a>) {}
            ),
            quote!(
                fn h(e: Name<'_>) {}
            ),
        ] {
            let errors = errors(item.clone());
            assert!(
                errors[0].starts_with("a Lambda handler's event must own its data"),
                "{item}: {errors:?}"
            );
        }
        assert!(
            check(
                quote!(),
                quote!(
                    fn h(e: std::borrow::Cow<'static, str>) {}
                )
            )
            .is_ok()
        );
    }

    #[test]
    fn each_independent_mistake_is_reported_once() {
        let all = errors(quote!(
            unsafe extern "C" fn h<T>(&self, a: u8, b: u8, c: u8) {}
        ));
        let starts: Vec<&str> = all.iter().map(|e| &e[..30]).collect();
        assert_eq!(
            starts,
            [
                "a Lambda handler cannot be `un",
                "a Lambda handler cannot have a",
                "a Lambda handler cannot be gen",
                "a Lambda handler is a free fun",
                "a Lambda handler takes at most",
            ]
        );
    }

    #[test]
    fn parameters_are_checked_in_place() {
        assert!(
            errors(quote!(
                fn h() {}
            ))[0]
                .starts_with("a Lambda handler takes the event as its first parameter")
        );
        assert!(
            errors(quote!(
                fn h(e: impl Trait) {}
            ))[0]
                .contains("cannot be `impl Trait`")
        );
        assert!(
            errors(quote!(
                fn h(e: u8, ctx: impl Trait) {}
            ))[0]
                .contains("second parameter is the invocation context")
        );
        assert!(
            errors(quote!(
                fn h(e: u8, ...) {}
            ))[0]
                .contains("cannot be variadic")
        );
        assert!(
            errors(quote!(
                fn h(e: u8);
            ))[0]
                .contains("needs a body")
        );
    }

    #[test]
    fn the_context_type_loses_its_named_lifetimes() {
        let h = check(
            quote!(),
            quote!(
                fn h<'a>(e: u8, ctx: &'a Context) {}
            ),
        )
        .unwrap();
        assert_eq!(
            h.context.unwrap().to_string(),
            quote!(&'_ Context).to_string()
        );
        let h = check(
            quote!(),
            quote!(
                fn h(e: u8, ctx: &'static Context) {}
            ),
        )
        .unwrap();
        assert_eq!(
            h.context.unwrap().to_string(),
            quote!(&'static Context).to_string()
        );
    }

    #[test]
    fn init_makes_the_last_parameter_the_state() {
        let h = check(
            quote!(init = build),
            quote!(
                fn h(e: u8, ctx: &Context, clients: &'static Clients) {}
            ),
        )
        .unwrap();
        assert!(h.context.is_some());
        assert_eq!(h.state.unwrap().ty.to_string(), "Clients");
        let h = check(
            quote!(init = build),
            quote!(
                fn h(e: u8, clients: &Clients) {}
            ),
        )
        .unwrap();
        assert!(h.context.is_none() && h.state.is_some());
    }

    #[test]
    fn state_mistakes_say_what_to_write() {
        let args = |tokens| Args::parse(tokens).unwrap();
        let errors = |a, item| match validate(args(a), &syn::parse2(item).unwrap()) {
            Ok(_) => panic!("expected errors"),
            Err(e) => e.into_iter().map(|e| e.to_string()).collect::<Vec<_>>(),
        };
        assert_eq!(
            errors(
                quote!(init = build),
                quote!(
                    fn h(e: u8) {}
                )
            ),
            [
                "`init = build` builds this handler's state: take it as the last parameter, `state: &State`"
            ]
        );
        assert!(
            errors(
                quote!(init = build),
                quote!(
                    fn h(e: u8, s: Clients) {}
                )
            )[0]
            .contains("by shared reference, `state: &Clients`")
        );
        assert!(
            errors(
                quote!(init = build),
                quote!(
                    fn h(e: u8, s: &mut Clients) {}
                )
            )[0]
            .contains("`state: &Clients`")
        );
        assert!(
            errors(
                quote!(),
                quote!(
                    fn h(e: u8, c: &Context, s: &Clients) {}
                )
            )[0]
            .contains("`#[lambda_handler(init = build_state)]`")
        );
        assert!(
            errors(
                quote!(init = build),
                quote!(
                    fn h(e: u8, c: &Context, s: &S, x: u8) {}
                )
            )[0]
            .starts_with("a Lambda handler with `init` takes at most three parameters")
        );
    }

    #[test]
    fn a_method_is_one_mistake() {
        let all = errors(quote!(
            fn h(&self, event: u8, ctx: &Context) {}
        ));
        assert_eq!(all.len(), 1, "{all:?}");
        assert!(all[0].starts_with("a Lambda handler is a free function"));
    }
}
