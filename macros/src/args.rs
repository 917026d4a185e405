//! The arguments inside `#[lambda_handler(...)]`.

use proc_macro2::TokenStream;
use syn::meta::ParseNestedMeta;
use syn::parse::{ParseStream, Parser};
use syn::{LitStr, Path};

/// The longest handler name Lambda accepts in a function's `Handler` setting.
const MAX_NAME_LEN: usize = 128;

/// What the attribute was told.
#[derive(Default)]
pub(crate) struct Args {
    /// `name = "..."`: the name `_HANDLER` selects; the function's name when absent.
    pub(crate) name: Option<LitStr>,
    /// `crate = "..."`: where the runtime crate is when a user renamed the dependency.
    pub(crate) krate: Option<Path>,
    /// `init = build_state`: the function that builds the handler's state, once.
    pub(crate) init: Option<Path>,
    /// `shutdown = flush`: the function that runs when Lambda ends the environment.
    pub(crate) shutdown: Option<Path>,
    /// `service`: the function builds a `tower::Service` (an axum `Router`) that answers
    /// every HTTP request; the handler is generated around it.
    pub(crate) service: bool,
}

impl Args {
    pub(crate) fn parse(tokens: TokenStream) -> syn::Result<Self> {
        let mut args = Args::default();
        syn::meta::parser(|meta| {
            // #[lambda_handler(name = "...")]
            if meta.path.is_ident("name") {
                set_once(&mut args.name, &meta, "name", parse_name)
            // #[lambda_handler(crate = "...")]
            } else if meta.path.is_ident("crate") {
                set_once(&mut args.krate, &meta, "crate", parse_crate_path)
            // #[lambda_handler(init = path::to::build_state)]
            } else if meta.path.is_ident("init") {
                set_once(&mut args.init, &meta, "init", parse_init)
            // #[lambda_handler(shutdown = path::to::flush)]
            } else if meta.path.is_ident("shutdown") {
                set_once(&mut args.shutdown, &meta, "shutdown", parse_shutdown)
            // #[lambda_handler(service)]
            } else if meta.path.is_ident("service") {
                if args.service {
                    return Err(syn::Error::new_spanned(
                        &meta.path,
                        "duplicate `#[lambda_handler]` argument `service`, give it once",
                    ));
                }
                args.service = true;
                Ok(())
            } else {
                let key = quote::ToTokens::to_token_stream(&meta.path).to_string();
                Err(syn::Error::new_spanned(
                    &meta.path,
                    format_args!(
                        "unknown `#[lambda_handler]` argument `{}`, expected `name`, `init`, `shutdown`, `service` or `crate`",
                        key.replace(' ', "")
                    ),
                ))
            }
        })
        .parse2(tokens)?;
        Ok(args)
    }
}

/// Parses `key = value` once, refusing a second `key`: one place for every argument, so no
/// argument can forget the duplicate check.
fn set_once<T>(
    slot: &mut Option<T>,
    meta: &ParseNestedMeta,
    key: &str,
    parse: fn(ParseStream) -> syn::Result<T>,
) -> syn::Result<()> {
    let value = parse(meta.value()?)?;
    if slot.is_some() {
        return Err(syn::Error::new_spanned(
            &meta.path,
            format_args!("duplicate `#[lambda_handler]` argument `{key}`, give it once"),
        ));
    }
    *slot = Some(value);
    Ok(())
}

fn parse_name(input: ParseStream) -> syn::Result<LitStr> {
    let lit: LitStr = input.parse()?;
    let name = lit.value();
    if name.is_empty() || name.chars().any(char::is_whitespace) || name.len() > MAX_NAME_LEN {
        return Err(syn::Error::new(
            lit.span(),
            format_args!(
                "the handler `name` must be 1 to {MAX_NAME_LEN} characters without whitespace, \
                 as Lambda's `_HANDLER` setting holds it"
            ),
        ));
    }
    Ok(lit)
}

fn parse_init(input: ParseStream) -> syn::Result<Path> {
    input.parse::<Path>().map_err(|e| {
        syn::Error::new(
            e.span(),
            "`init` names the function that builds the handler's state, such as \
             `init = build_clients`",
        )
    })
}

fn parse_shutdown(input: ParseStream) -> syn::Result<Path> {
    input.parse::<Path>().map_err(|e| {
        syn::Error::new(
            e.span(),
            "`shutdown` names the function to run when Lambda ends the environment, such as \
             `shutdown = flush`",
        )
    })
}

fn parse_crate_path(input: ParseStream) -> syn::Result<Path> {
    let lit: LitStr = input.parse()?;
    lit.parse_with(Path::parse_mod_style).map_err(|_| {
        syn::Error::new(
            lit.span(),
            "`crate` must name the path of the `lambda-handler` crate, such as `crate = \"my_lambda\"`",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::Args;
    use quote::quote;

    fn error(tokens: proc_macro2::TokenStream) -> String {
        match Args::parse(tokens) {
            Ok(_) => panic!("expected an error"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn empty_arguments_are_the_defaults() {
        let args = Args::parse(quote!()).unwrap();
        assert!(args.name.is_none() && args.krate.is_none() && args.init.is_none());
    }

    #[test]
    fn name_and_crate_are_read() {
        let args = Args::parse(quote!(name = "greet", crate = "::my_lambda")).unwrap();
        assert_eq!(args.name.unwrap().value(), "greet");
        let path = args.krate.unwrap();
        assert!(path.leading_colon.is_some());
        assert_eq!(path.segments[0].ident, "my_lambda");
    }

    #[test]
    fn unknown_argument_names_the_accepted_ones() {
        assert_eq!(
            error(quote!(nmae = "x")),
            "unknown `#[lambda_handler]` argument `nmae`, expected `name`, `init`, `shutdown`, `service` or `crate`"
        );
    }

    #[test]
    fn repeated_argument_is_refused() {
        assert_eq!(
            error(quote!(name = "a", name = "b")),
            "duplicate `#[lambda_handler]` argument `name`, give it once"
        );
    }

    #[test]
    fn malformed_names_are_refused() {
        for bad in [quote!(name = ""), quote!(name = "two words")] {
            assert!(error(bad).starts_with("the handler `name` must be"));
        }
        let long = "x".repeat(129);
        assert!(error(quote!(name = #long)).starts_with("the handler `name` must be"));
    }

    #[test]
    fn init_is_a_path() {
        let args = Args::parse(quote!(init = clients::build)).unwrap();
        assert_eq!(args.init.unwrap().segments.len(), 2);
        assert!(error(quote!(init = "build")).starts_with("`init` names the function"));
    }

    #[test]
    fn service_is_a_flag_given_once() {
        assert!(Args::parse(quote!(service, name = "api")).unwrap().service);
        assert!(!Args::parse(quote!(name = "api")).unwrap().service);
        assert_eq!(
            error(quote!(service, service)),
            "duplicate `#[lambda_handler]` argument `service`, give it once"
        );
    }

    #[test]
    fn crate_must_be_a_path() {
        assert!(error(quote!(crate = "not a path")).starts_with("`crate` must name the path"));
    }
}
