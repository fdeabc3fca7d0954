# Every third-party library comes from a Debian 12 package (DESIGN.md,
# "Libraries"); scripts/install-deps.sh installs them.
find_package(PkgConfig REQUIRED)
find_package(absl REQUIRED)
find_package(GTest REQUIRED)
find_package(benchmark REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(tomlplusplus REQUIRED)
find_package(CLI11 REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(ICU REQUIRED COMPONENTS uc i18n)
find_package(Threads REQUIRED)
# Boost 1.74 only (libphonenumber-dev pulls it in): Beast and Asio are
# header-only.
find_package(Boost 1.74 REQUIRED)

pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(URIPARSER REQUIRED IMPORTED_TARGET liburiparser)

find_path(PHONENUMBER_INCLUDE_DIR phonenumbers/phonenumberutil.h REQUIRED)
find_library(PHONENUMBER_LIBRARY phonenumber REQUIRED)
add_library(phonenumber_lib INTERFACE)
target_include_directories(phonenumber_lib SYSTEM INTERFACE ${PHONENUMBER_INCLUDE_DIR})
target_link_libraries(phonenumber_lib INTERFACE ${PHONENUMBER_LIBRARY})
