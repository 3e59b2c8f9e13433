/// mimalloc instead of the system allocator: imports and bulk writes build many short-lived
/// strings and argument lists, where glibc's malloc showed up as a fifth of the profile.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    guanxi::cli::main()
}
