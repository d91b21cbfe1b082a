//! Starts the Chronicle web app.

fn main() {
    chronicle::mount();
}
