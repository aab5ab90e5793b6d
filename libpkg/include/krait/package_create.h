/* `krait package create DIR`: a .conda writer (CEP-26: a stored zip of
 * metadata.json, pkg-<dist>.tar.zst with the payload and info-<dist>.tar.zst
 * with info/). DIR holds the payload and info/index.json (name, version,
 * build); info/paths.json (sha256, size, path_type per file) and info/files
 * are generated into DIR/info first. Prefix placeholders are not detected:
 * the package is written as relocatable plain files. */
#ifndef KRAIT_PACKAGE_CREATE_H
#define KRAIT_PACKAGE_CREATE_H

#include "krait/err.h"

/* Writes <out_dir>/<name>-<version>-<build>.conda (atomically) and returns
 * its path in *out_path (caller frees). */
KRAIT_API krait_code krait_package_create(const char *dir, const char *out_dir, char **out_path, krait_err *err);

#endif
