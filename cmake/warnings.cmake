# Warnings every krait target is built with (-Werror unless KRAIT_WERROR=OFF).
set(KRAIT_WARNINGS -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes
    -Wwrite-strings -Wformat=2 -Wno-format-nonliteral)
if(KRAIT_WERROR)
  list(APPEND KRAIT_WARNINGS -Werror)
endif()
set(KRAIT_SAN_FLAGS "")
if(KRAIT_SANITIZE)
  set(KRAIT_SAN_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_compile_options(${KRAIT_SAN_FLAGS})
  add_link_options(${KRAIT_SAN_FLAGS})
endif()
# KRAIT_FUZZ (fuzz/, clang): libFuzzer coverage plus ASan+UBSan on all of krait
if(KRAIT_FUZZ)
  set(KRAIT_FUZZ_FLAGS -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_compile_options(${KRAIT_FUZZ_FLAGS})
  add_link_options(-fsanitize=address,undefined)
endif()
add_compile_definitions(_GNU_SOURCE)

# krait_target_defaults(TARGET): warnings + hidden visibility for one of our targets.
function(krait_target_defaults tgt)
  target_compile_options(${tgt} PRIVATE ${KRAIT_WARNINGS} -fvisibility=hidden)
endfunction()
