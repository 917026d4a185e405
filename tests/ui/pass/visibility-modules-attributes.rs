// Any visibility, inside modules, with doc comments and other attributes kept.
#![deny(missing_docs)]
//! Handlers in modules.

/// Handlers.
pub mod handlers {
    use lambda_handler::{Context, lambda_handler};

    /// Documented and public.
    #[lambda_handler]
    pub fn public(event: String, ctx: &Context) -> String {
        event
    }

    #[lambda_handler]
    #[allow(clippy::needless_pass_by_value)]
    pub(crate) fn crate_visible(event: String) -> usize {
        event.len()
    }

    #[allow(dead_code)]
    #[lambda_handler(name = "instrumented")]
    #[tracing::instrument(skip(ctx))]
    async fn traced(event: String, ctx: &Context) -> String {
        event
    }

    mod nested {
        #[lambda_handler::lambda_handler]
        fn r#type(event: u8) -> u8 {
            event
        }
    }
}

fn main() {
    assert_eq!(handlers::public("x".into(), &lambda_handler::Context::default()), "x");
    assert_eq!(handlers::crate_visible("xy".into()), 2);
}
