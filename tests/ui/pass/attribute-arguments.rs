// `name = "..."` and `crate = "..."`, in either order.
mod runtime {
    pub use ::lambda_handler as renamed;
}

#[lambda_handler::lambda_handler(name = "greet.v2")]
fn greet(event: String) -> String {
    event
}

#[lambda_handler::lambda_handler(crate = "crate::runtime::renamed", name = "other")]
fn renamed_path(event: String) -> String {
    event
}

#[lambda_handler::lambda_handler(crate = "::lambda_handler")]
fn absolute(event: String) -> String {
    event
}

fn main() {}
