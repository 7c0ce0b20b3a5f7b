fn main() -> std::process::ExitCode {
    shared::main::<ex07_indexing::Lesson>()
}
