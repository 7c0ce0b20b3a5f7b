fn main() -> std::process::ExitCode {
    shared::main::<ex12_optimistic_locking::Lesson>()
}
