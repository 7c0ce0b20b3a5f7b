fn main() -> std::process::ExitCode {
    shared::main::<ex13_pessimistic_locking::Lesson>()
}
