// libsystemc.so refers to the user's sc_main, which its own main() would call. Einfuse drives
// the kernel itself (simulate() elaborates and calls sc_start), so SystemC's main() is never
// linked in; this definition only resolves the library's reference and is never called.
#include <stdexcept>

extern "C" int sc_main(int, char*[]) { throw std::logic_error("einfuse_sim: sc_main is not an entry point; call sim::simulate()"); }
