fn main() -> std::process::ExitCode {
    shared::main::<ex05_unique_title::Lesson>()
}
