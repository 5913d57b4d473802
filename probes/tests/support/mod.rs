pub mod inside;
pub mod netns;
