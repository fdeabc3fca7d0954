# One place holds the warning flags (STYLE.md). MAMORI_WERROR turns them into
# errors; the test script and CI always set it.
option(MAMORI_WERROR "Treat warnings as errors" OFF)

add_library(mamori_warnings INTERFACE)
target_compile_options(mamori_warnings INTERFACE -Wall -Wextra -Wshadow)
if(MAMORI_WERROR)
  target_compile_options(mamori_warnings INTERFACE -Werror)
endif()

option(MAMORI_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
if(MAMORI_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
