use lambda_handler::{Context, lambda_handler};

struct Service;

impl Service {
    #[lambda_handler]
    fn handler(&self, event: String, ctx: &Context) -> String {
        event
    }
}

fn main() {}
