fn main() -> std::process::ExitCode {
    shared::main::<ex11_upsert::Lesson>()
}
