// Generated items never meet a user's names.
#![allow(dead_code, non_camel_case_types)]

mod two_in_one_module {
    use lambda_handler::lambda_handler;

    #[lambda_handler]
    fn first(event: u8) -> u8 {
        event
    }

    #[lambda_handler]
    fn second(event: u8) -> u8 {
        event
    }
}

mod shadowing {
    use lambda_handler::lambda_handler;

    // Names the generated code could collide with, if it used them unqualified.
    mod serde {}
    mod linkme {}
    mod __private {}
    struct Context;
    struct Vec;
    struct Box;
    struct Handler;
    struct HANDLERS;
    type Result<T> = std::result::Result<T, String>;
    fn respond() {}
    fn decode() {}

    #[lambda_handler]
    fn handler(event: u8, ctx: &lambda_handler::Context) -> Result<u8> {
        Ok(event)
    }
}

mod constants_in_scope {
    #![allow(non_upper_case_globals)]
    use lambda_handler::lambda_handler;

    // Constants a pattern of the generated code would match instead of binding, were its
    // bindings named so (`Err(error)`, `|value, out|`, `Ok(state)`).
    const error: u8 = 0;
    const value: u8 = 0;
    const out: u8 = 0;
    const state: u8 = 0;
    const ok: u8 = 0;
    const err: u8 = 0;

    struct Clients;

    fn build() -> Result<Clients, std::io::Error> {
        Ok(Clients)
    }

    #[lambda_handler(init = build)]
    fn handler(event: u8, _clients: &Clients) -> Result<u8, std::io::Error> {
        Ok(event)
    }
}

mod no_prelude {
    #![no_implicit_prelude]

    #[::lambda_handler::lambda_handler]
    fn handler(_event: ::std::string::String) -> ::std::option::Option<u8> {
        ::std::option::Option::None
    }

    #[::lambda_handler::lambda_handler]
    async fn async_handler(event: u8, ctx: &::lambda_handler::Context) -> ::std::result::Result<u8, ::std::string::String> {
        ::std::result::Result::Ok(event)
    }
}

fn main() {}
