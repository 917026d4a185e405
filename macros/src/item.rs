//! The user's function as it is emitted again: unchanged, but for two edits that only remove
//! noise around the handler contract.

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use quote::quote;

use crate::signature::Param;

/// - `#[allow(unused_variables)]` goes on a second parameter: taking `ctx` and not reading it
///   is the normal case (the seed handler does), and the lint would make every such handler
///   write `_ctx`.
/// - A C variadic `...` is dropped: the attribute already reports it, and rustc's own errors
///   about it would only repeat the mistake.
pub(crate) fn reemit(item: TokenStream) -> TokenStream {
    let mut tokens: Vec<TokenTree> = item.into_iter().collect();
    let Some(index) = parameter_list(&tokens) else {
        return tokens.into_iter().collect();
    };
    let TokenTree::Group(group) = &tokens[index] else {
        unreachable!("parameter_list finds a group")
    };
    let mut params = split_params(group.stream());
    if params
        .last()
        .is_some_and(|p| matches!(parse(p), Some(Param::Variadic(_))))
    {
        params.pop();
    }
    // The context is the second parameter after any receiver (which is refused, once).
    let receivers = params
        .iter()
        .take_while(|p| matches!(parse(p), Some(Param::Receiver(_))))
        .count();
    if let Some(second) = params.get_mut(receivers + 1)
        && matches!(parse(second), Some(Param::Typed { .. }))
    {
        *second = quote!(#[allow(unused_variables)] #second);
    }
    let mut edited = Group::new(
        Delimiter::Parenthesis,
        params.into_iter().flatten().collect(),
    );
    edited.set_span(group.span());
    tokens[index] = TokenTree::Group(edited);
    tokens.into_iter().collect()
}

/// The index of the `(...)` after the `fn` keyword.
fn parameter_list(tokens: &[TokenTree]) -> Option<usize> {
    let fn_keyword = tokens
        .iter()
        .position(|tt| matches!(tt, TokenTree::Ident(i) if i == "fn"))?;
    let offset = tokens[fn_keyword..].iter().position(
        |tt| matches!(tt, TokenTree::Group(g) if g.delimiter() == Delimiter::Parenthesis),
    )?;
    Some(fn_keyword + offset)
}

/// The parameters, each with its trailing comma. A parameter ends at the first top-level
/// comma before which it parses whole: the comma in `HashMap<K, V>` does not end one.
fn split_params(stream: TokenStream) -> Vec<TokenStream> {
    let mut params = Vec::new();
    let mut current = TokenStream::new();
    for tt in stream {
        let is_comma = matches!(&tt, TokenTree::Punct(p) if p.as_char() == ',');
        if is_comma && parse(&current).is_some() {
            current.extend([tt]);
            params.push(std::mem::take(&mut current));
        } else {
            current.extend([tt]);
        }
    }
    if !current.is_empty() {
        params.push(current);
    }
    params
}

/// One parameter, its trailing comma allowed.
fn parse(tokens: &TokenStream) -> Option<Param> {
    let mut tokens: Vec<TokenTree> = tokens.clone().into_iter().collect();
    if matches!(tokens.last(), Some(TokenTree::Punct(p)) if p.as_char() == ',') {
        tokens.pop();
    }
    syn::parse2(tokens.into_iter().collect()).ok()
}

#[cfg(test)]
mod tests {
    use super::reemit;
    use quote::quote;

    fn emitted(item: proc_macro2::TokenStream) -> String {
        reemit(item).to_string()
    }

    #[test]
    fn the_context_parameter_may_go_unused() {
        let item = quote!(
            pub(crate) fn h(event: HashMap<K, V>, ctx: &Context) -> u8 {
                0
            }
        );
        let expected = quote!(
            pub(crate) fn h(event: HashMap<K, V>, #[allow(unused_variables)] ctx: &Context) -> u8 {
                0
            }
        );
        assert_eq!(emitted(item), expected.to_string());
    }

    #[test]
    fn a_single_parameter_is_left_alone() {
        let item = quote!(
            async fn h(event: u8) {}
        );
        assert_eq!(emitted(item.clone()), item.to_string());
    }

    #[test]
    fn a_variadic_is_dropped() {
        let expected = "fn h (event : u8 ,) { }";
        assert_eq!(
            emitted(quote!(
                fn h(event: u8, ...) {}
            )),
            expected
        );
        assert_eq!(
            emitted(quote!(
                fn h(event: u8, rest: ...) {}
            )),
            expected
        );
    }
}
