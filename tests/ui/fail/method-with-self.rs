use lambda_handler::lambda_handler;

struct Service;

impl Service {
    #[lambda_handler]
    fn handler(&self, event: String) -> String {
        event
    }
}

fn main() {}
