// The main file of the layer link checks (cmake/layer_link.cmake): never run.
// SystemC's main() calls sc_main(), declared extern "C" by <systemc>.
extern "C" int sc_main(int, char*[]) { return 0; }
