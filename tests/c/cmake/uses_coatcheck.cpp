// Built by CMake against the installed coatcheck (coatcheck::coatcheck):
// opens the store named on the command line, keeps a value in a session,
// and reads it back through the C++ wrapper. Exits 1 on any mismatch.
#include <coatcheck.hpp>

#include <cstdio>
#include <string>

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s STORE_FILE\n", argv[0]);
        return 2;
    }
    try {
        if (coatcheck_abi_version() != COATCHECK_ABI_VERSION) {
            std::fprintf(stderr, "header and library disagree on the ABI version\n");
            return 1;
        }
        auto store = coatcheck::Store::open(argv[1]);
        std::string token = *store.create().token();
        store.set_json(token, "theme", "\"dark\"");
        std::string theme = store.get(token).get_json("theme").value_or("null");
        store.close();
        if (theme != "\"dark\"") {
            std::fprintf(stderr, "read back %s\n", theme.c_str());
            return 1;
        }
        std::printf("C++ via find_package: theme = %s\n", theme.c_str());
        return 0;
    } catch (const coatcheck::Error &e) {
        std::fprintf(stderr, "%s: %s\n", e.status_name(), e.what());
        return 1;
    }
}
