/* A package record: the fields of one repodata.json entry plus where it came
 * from (channel, url). Shared by the solver's output, the package cache's
 * info/repodata_record.json and conda-meta/<dist>.json.
 *
 * Ownership: a krait_record owns all its strings and vectors;
 * krait_record_free() releases them (not the struct itself). */
#ifndef KRAIT_RECORD_H
#define KRAIT_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "krait/buf.h"
#include "krait/err.h"
#include "krait/json.h"

typedef struct krait_record {
  char *name;
  char *version;
  char *build;
  int64_t build_number;
  char *channel;     /* channel URL without subdir, e.g. https://conda.anaconda.org/conda-forge or file:///x */
  char *subdir;      /* linux-64, noarch, ... */
  char *fn;          /* archive file name */
  char *url;         /* full archive URL */
  char *md5;         /* hex or NULL */
  char *sha256;      /* hex or NULL */
  int64_t size;      /* bytes, -1 unknown */
  int64_t timestamp; /* milliseconds since the epoch, 0 unknown */
  char *noarch;      /* NULL, "python" or "generic" */
  char *license;
  char *license_family;
  char *features;    /* legacy space-separated features string, or NULL */
  char *arch;
  char *platform;
  char *python_site_packages_path; /* CEP-17, or NULL */
  krait_strv depends;
  krait_strv constrains;
  krait_strv track_features;
} krait_record;

KRAIT_API void krait_record_init(krait_record *r);
KRAIT_API void krait_record_free(krait_record *r);
KRAIT_API void krait_record_copy(krait_record *dst, const krait_record *src);
/* `over`'s fields replace base's where `over` has them (a string set, a
 * number >= 0 / a timestamp, a non-empty list): e.g. index.json overlaid by
 * the repodata record, whose fields win. */
KRAIT_API void krait_record_overlay(krait_record *base, const krait_record *over);
/* Fills r from one repodata entry (or index.json / repodata_record.json).
 * `fn` may be NULL when the object carries its own "fn". Accepts
 * track_features as a space/comma separated string or a list, and "noarch" as
 * a string or the legacy boolean. */
KRAIT_API krait_code krait_record_from_json(krait_record *r, const krait_json *obj, const char *fn,
                                            krait_err *err);
/* Writes the record's fields as the members of an already-open JSON object
 * (the repodata_record.json field set, sorted as conda sorts them). */
KRAIT_API void krait_record_write_fields(krait_jw *w, const krait_record *r);
/* "name-version-build" (the dist name used by pkgs/ and conda-meta/). Caller frees. */
KRAIT_API char *krait_record_dist(const krait_record *r);
/* The "channel" field as conda writes it in conda-meta and repodata_record.json:
 * the channel URL with the subdir ("https://conda.anaconda.org/conda-forge/noarch");
 * a channel that is a bare name or empty is kept as it is. Caller frees.
 * (krait_record_from_json strips that subdir again: in memory, channel is the
 * bare channel URL.) */
KRAIT_API char *krait_record_channel_subdir(const krait_record *r);
/* conda's package_type for the record: "noarch_python", "noarch_generic", or
 * NULL for a plain package (conda writes the field only for noarch ones). */
KRAIT_API const char *krait_record_package_type(const krait_record *r);
/* KRAIT_E_UNSAFE naming the record and its channel when name, version, build
 * or fn could not safely name a file or directory (empty, "." or "..", a '/'
 * or '\\', a control character). Call before any of them names a path. */
KRAIT_API krait_code krait_record_check_names(const krait_record *r, krait_err *err);

#endif
