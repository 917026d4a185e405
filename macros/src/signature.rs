//! What the annotated item looks like, read without syn's "full" feature: the function's
//! header is parsed, its body is kept as an opaque group (the macro re-emits the item's own
//! tokens unchanged, so nothing here needs to understand statements).

use proc_macro2::{Group, Ident, Span, TokenStream, TokenTree};
use syn::parse::{Parse, ParseStream};
use syn::{Abi, Attribute, Generics, Token, Type, Visibility, WhereClause, token};

/// The header of a `fn` item.
pub(crate) struct Signature {
    pub(crate) asyncness: Option<Token![async]>,
    pub(crate) unsafety: Option<Token![unsafe]>,
    pub(crate) abi: Option<Abi>,
    pub(crate) ident: Ident,
    pub(crate) generics: Generics,
    pub(crate) paren: token::Paren,
    pub(crate) params: Vec<Param>,
    pub(crate) output: Option<Type>,
    pub(crate) has_body: bool,
}

/// One parameter between the parentheses.
pub(crate) enum Param {
    /// `pattern: Type`
    Typed { tokens: TokenStream, ty: Box<Type> },
    /// `self`, `&self`, `mut self`, `self: Box<Self>`: a method's receiver.
    Receiver(TokenStream),
    /// `...` or `args: ...`: a C variadic.
    Variadic(TokenStream),
}

impl Parse for Signature {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        Attribute::parse_outer(input)?;
        input.parse::<Visibility>()?;
        let start = input.span();
        // Qualifiers in the order Rust requires: `const async unsafe extern "C" fn`.
        input.parse::<Option<Token![const]>>()?;
        let asyncness = input.parse()?;
        let unsafety = input.parse()?;
        let abi = input.parse()?;
        input
            .parse::<Token![fn]>()
            .map_err(|_| not_a_function(start))?;
        let ident = input.parse()?;
        let mut generics: Generics = input.parse()?;
        let content;
        let paren = syn::parenthesized!(content in input);
        let mut params = Vec::new();
        while !content.is_empty() {
            params.push(content.parse()?);
            if content.is_empty() {
                break;
            }
            content.parse::<Token![,]>()?;
        }
        let output = if input.parse::<Option<Token![->]>>()?.is_some() {
            Some(input.parse()?)
        } else {
            None
        };
        generics.where_clause = input.parse::<Option<WhereClause>>()?;
        let has_body = if input.peek(token::Brace) {
            input.parse::<Group>()?;
            true
        } else {
            input.parse::<Token![;]>()?;
            false
        };
        Ok(Signature {
            asyncness,
            unsafety,
            abi,
            ident,
            generics,
            paren,
            params,
            output,
            has_body,
        })
    }
}

impl Param {
    /// The parameter as written.
    pub(crate) fn tokens(&self) -> TokenStream {
        match self {
            Param::Typed { tokens, .. } | Param::Receiver(tokens) | Param::Variadic(tokens) => {
                tokens.clone()
            }
        }
    }
}

fn not_a_function(span: Span) -> syn::Error {
    syn::Error::new(
        span,
        "`#[lambda_handler]` goes on a function, such as \
         `fn handler(event: Event, ctx: &Context) -> Response`",
    )
}

impl Parse for Param {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        Attribute::parse_outer(input)?;
        if input.peek(Token![...]) {
            let dots: Token![...] = input.parse()?;
            return Ok(Param::Variadic(quote::quote!(#dots)));
        }
        // The pattern runs up to the `:` that is not half of a `::` path separator.
        let mut pattern = TokenStream::new();
        let mut is_receiver = false;
        while !input.is_empty() && !input.peek(Token![,]) {
            if input.peek(Token![::]) {
                let sep: Token![::] = input.parse()?;
                pattern.extend(quote::quote!(#sep));
            } else if input.peek(Token![:]) {
                break;
            } else {
                let tt: TokenTree = input.parse()?;
                is_receiver |= matches!(&tt, TokenTree::Ident(i) if i == "self");
                pattern.extend([tt]);
            }
        }
        if input.parse::<Option<Token![:]>>()?.is_none() {
            return if is_receiver {
                Ok(Param::Receiver(pattern))
            } else {
                Err(input.error("expected `:` and a type"))
            };
        }
        if input.peek(Token![...]) {
            let dots: Token![...] = input.parse()?;
            return Ok(Param::Variadic(quote::quote!(#pattern: #dots)));
        }
        let ty: Type = input.parse()?;
        if is_receiver {
            return Ok(Param::Receiver(quote::quote!(#pattern: #ty)));
        }
        let tokens = quote::quote!(#pattern: #ty);
        Ok(Param::Typed {
            tokens,
            ty: Box::new(ty),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{Param, Signature};
    use quote::quote;

    fn parse(item: proc_macro2::TokenStream) -> Signature {
        syn::parse2(item).unwrap_or_else(|e| panic!("not parsed: {e}"))
    }

    #[test]
    fn reads_the_seed_handler() {
        let sig = parse(quote! {
            /// Docs stay.
            #[allow(unused)]
            pub(crate) fn my_handler(event: Name, ctx: &Context) -> Greeting { todo!() }
        });
        assert_eq!(sig.ident, "my_handler");
        assert!(sig.asyncness.is_none() && sig.has_body);
        assert_eq!(sig.params.len(), 2);
        assert!(matches!(&sig.output, Some(syn::Type::Path(_))));
    }

    #[test]
    fn reads_qualifiers_and_patterns() {
        let sig = parse(quote! {
            async fn h(mut event: ::std::collections::HashMap<String, u8>, _: &lambda_handler::Context) {}
        });
        assert!(sig.asyncness.is_some());
        assert!(sig.output.is_none());
        assert!(sig.params.iter().all(|p| matches!(p, Param::Typed { .. })));
    }

    #[test]
    fn destructuring_patterns_with_paths_are_read() {
        let sig = parse(quote!(
            fn h(my::Name { first, .. }: my::Name) -> u8 {
                0
            }
        ));
        assert!(matches!(&sig.params[..], [Param::Typed { .. }]));
    }

    #[test]
    fn receivers_and_variadics_are_told_apart() {
        let sig = parse(quote!(
            fn h(&mut self, e: u8) {}
        ));
        assert!(matches!(sig.params[0], Param::Receiver(_)));
        let sig = parse(quote!(
            fn h(self: Box<Self>) {}
        ));
        assert!(matches!(sig.params[0], Param::Receiver(_)));
        let sig = parse(quote!(
            unsafe extern "C" fn h(e: u8, ...) {}
        ));
        assert!(sig.unsafety.is_some() && sig.abi.is_some());
        assert!(matches!(sig.params[1], Param::Variadic(_)));
    }

    #[test]
    fn other_items_are_not_functions() {
        for item in [
            quote!(
                struct S;
            ),
            quote!(
                static X: u8 = 0;
            ),
            quote!(
                mod m {}
            ),
        ] {
            let err = syn::parse2::<Signature>(item).err().unwrap();
            assert!(
                err.to_string()
                    .starts_with("`#[lambda_handler]` goes on a function")
            );
        }
    }
}
