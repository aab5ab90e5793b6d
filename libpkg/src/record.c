/* Package records: JSON in, JSON out, copies. */
#include "krait/record.h"
#include "krait/text.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

void krait_record_init(krait_record *r) {
  memset(r, 0, sizeof *r);
  r->size = -1;
}

/* The record's owned strings, for free and copy alike (a field added to
 * krait_record goes here once). */
static const size_t string_fields[] = {
    offsetof(krait_record, name),     offsetof(krait_record, version),        offsetof(krait_record, build),
    offsetof(krait_record, channel),  offsetof(krait_record, subdir),         offsetof(krait_record, fn),
    offsetof(krait_record, url),      offsetof(krait_record, md5),            offsetof(krait_record, sha256),
    offsetof(krait_record, noarch),   offsetof(krait_record, license),        offsetof(krait_record, license_family),
    offsetof(krait_record, features), offsetof(krait_record, arch),           offsetof(krait_record, platform),
    offsetof(krait_record, python_site_packages_path)};
#define N_STRING_FIELDS (sizeof string_fields / sizeof *string_fields)

static char **string_field(krait_record *r, size_t i) { return (char **)((char *)r + string_fields[i]); }
static const char *string_value(const krait_record *r, size_t i) {
  return *(char *const *)((const char *)r + string_fields[i]);
}

void krait_record_free(krait_record *r) {
  for (size_t i = 0; i < N_STRING_FIELDS; i++) {
    free(*string_field(r, i));
    *string_field(r, i) = NULL;
  }
  krait_strv_free(&r->depends);
  krait_strv_free(&r->constrains);
  krait_strv_free(&r->track_features);
}

void krait_record_copy(krait_record *d, const krait_record *s) {
  krait_record_init(d);
  for (size_t i = 0; i < N_STRING_FIELDS; i++)
    *string_field(d, i) = krait_strdup(string_value(s, i));
  d->build_number = s->build_number;
  d->size = s->size;
  d->timestamp = s->timestamp;
  krait_strv_copy(&d->depends, &s->depends);
  krait_strv_copy(&d->constrains, &s->constrains);
  krait_strv_copy(&d->track_features, &s->track_features);
}

/* An empty list usually means "not known here" (a record built from a bare
 * URL), where the base knows better; a repodata record always lists its
 * (possibly patched) depends. */
static void overlay_list(krait_strv *base, const krait_strv *over) {
  if (!over->len)
    return;
  krait_strv_free(base);
  krait_strv_copy(base, over);
}

void krait_record_overlay(krait_record *base, const krait_record *over) {
  for (size_t i = 0; i < N_STRING_FIELDS; i++)
    if (string_value(over, i)) {
      free(*string_field(base, i));
      *string_field(base, i) = krait_strdup(string_value(over, i));
    }
  if (over->build_number >= 0)
    base->build_number = over->build_number;
  if (over->size >= 0)
    base->size = over->size;
  if (over->timestamp)
    base->timestamp = over->timestamp;
  overlay_list(&base->depends, &over->depends);
  overlay_list(&base->constrains, &over->constrains);
  overlay_list(&base->track_features, &over->track_features);
}

/* conda writes "channel" with the subdir ("<url>/linux-64"), rattler with a
 * trailing slash; inside krait a record's channel is the bare channel URL. */
static char *channel_without_subdir(const char *channel, const char *subdir) {
  if (!channel)
    return NULL;
  size_t n = strlen(channel);
  while (n > 1 && channel[n - 1] == '/')
    n--;
  size_t sn = subdir ? strlen(subdir) : 0;
  if (sn && n > sn + 1 && channel[n - sn - 1] == '/' && strncmp(channel + n - sn, subdir, sn) == 0 &&
      strstr(channel, "://") != NULL)
    n -= sn + 1;
  return krait_strndup(channel, n);
}

krait_code krait_record_from_json(krait_record *r, const krait_json *obj, const char *fn, krait_err *err) {
  krait_record_init(r);
  if (!obj || obj->type != KRAIT_JSON_OBJECT)
    return krait_err_set(err, KRAIT_E_PARSE, "package record %s is not a JSON object", fn ? fn : "?");
  const char *name = krait_json_get_str(obj, "name");
  const char *version = krait_json_get_str(obj, "version");
  const char *build = krait_json_get_str(obj, "build");
  if (!name || !version || !build)
    return krait_err_set(err, KRAIT_E_PARSE, "package record %s lacks name, version or build",
                         fn ? fn : (name ? name : "?"));
  r->name = krait_strdup(name);
  r->version = krait_strdup(version);
  r->build = krait_strdup(build);
  krait_json_get_int(obj, "build_number", &r->build_number);
  r->fn = krait_strdup(fn ? fn : krait_json_get_str(obj, "fn"));
  r->subdir = krait_strdup(krait_json_get_str(obj, "subdir"));
  r->channel = channel_without_subdir(krait_json_get_str(obj, "channel"), r->subdir);
  r->url = krait_strdup(krait_json_get_str(obj, "url"));
  r->md5 = krait_strdup(krait_json_get_str(obj, "md5"));
  r->sha256 = krait_strdup(krait_json_get_str(obj, "sha256"));
  krait_json_get_int(obj, "size", &r->size);
  int64_t ts = 0;
  if (krait_json_get_int(obj, "timestamp", &ts))
    r->timestamp = ts > 253402300799LL ? ts : ts * 1000; /* seconds in old records */
  const krait_json *noarch = krait_json_get(obj, "noarch");
  if (noarch && noarch->type == KRAIT_JSON_STRING && noarch->len)
    r->noarch = krait_strdup(noarch->string);
  else if (noarch && noarch->type == KRAIT_JSON_BOOL && noarch->boolean)
    r->noarch = krait_strdup("generic");
  r->license = krait_strdup(krait_json_get_str(obj, "license"));
  r->license_family = krait_strdup(krait_json_get_str(obj, "license_family"));
  r->features = krait_strdup(krait_json_get_str(obj, "features"));
  r->arch = krait_strdup(krait_json_get_str(obj, "arch"));
  r->platform = krait_strdup(krait_json_get_str(obj, "platform"));
  r->python_site_packages_path = krait_strdup(krait_json_get_str(obj, "python_site_packages_path"));
  krait_json_get_strv(obj, "depends", &r->depends);
  krait_json_get_strv(obj, "constrains", &r->constrains);
  const krait_json *tf = krait_json_get(obj, "track_features");
  if (tf && tf->type == KRAIT_JSON_STRING)
    krait_features_split(&r->track_features, tf->string);
  else if (tf && tf->type == KRAIT_JSON_ARRAY)
    krait_json_foreach(it, tf) if (it->type == KRAIT_JSON_STRING) krait_features_split(&r->track_features, it->string);
  return KRAIT_OK;
}

void krait_record_write_fields(krait_jw *w, const krait_record *r) {
  /* alphabetical, as conda's json dumps with sort_keys */
  krait_jw_kstr_opt(w, "arch", r->arch);
  krait_jw_kstr(w, "build", r->build);
  krait_jw_kint(w, "build_number", r->build_number);
  char *channel = krait_record_channel_subdir(r);
  krait_jw_kstr(w, "channel", channel);
  free(channel);
  krait_jw_kstrv(w, "constrains", &r->constrains);
  krait_jw_kstrv(w, "depends", &r->depends);
  krait_jw_kstr_opt(w, "features", r->features);
  krait_jw_kstr(w, "fn", r->fn);
  krait_jw_kstr_opt(w, "license", r->license);
  krait_jw_kstr_opt(w, "license_family", r->license_family);
  krait_jw_kstr(w, "md5", r->md5 ? r->md5 : "");
  krait_jw_kstr(w, "name", r->name);
  krait_jw_kstr_opt(w, "noarch", r->noarch);
  krait_jw_kstr_opt(w, "package_type", krait_record_package_type(r));
  krait_jw_kstr_opt(w, "platform", r->platform);
  krait_jw_kstr_opt(w, "python_site_packages_path", r->python_site_packages_path);
  krait_jw_kstr_opt(w, "sha256", r->sha256);
  if (r->size >= 0)
    krait_jw_kint(w, "size", r->size);
  krait_jw_kstr(w, "subdir", r->subdir ? r->subdir : "");
  if (r->timestamp)
    krait_jw_kint(w, "timestamp", r->timestamp);
  if (r->track_features.len) {
    char *tf = krait_features_join(&r->track_features);
    krait_jw_kstr(w, "track_features", tf);
    free(tf);
  }
  krait_jw_kstr(w, "url", r->url ? r->url : "");
  krait_jw_kstr(w, "version", r->version);
}

char *krait_record_dist(const krait_record *r) {
  return krait_asprintf("%s-%s-%s", r->name, r->version, r->build);
}

char *krait_record_channel_subdir(const krait_record *r) {
  const char *ch = r->channel ? r->channel : "";
  size_t n = strlen(ch);
  while (n > 1 && ch[n - 1] == '/')
    n--;
  /* a URL channel gets its subdir; a bare name ("conda-forge") or an empty
   * channel (a record built from a lone archive) is written as it is */
  if (!r->subdir || !*r->subdir || !strstr(ch, "://"))
    return krait_strdup(ch);
  size_t sn = strlen(r->subdir);
  if (n > sn && ch[n - sn - 1] == '/' && strncmp(ch + n - sn, r->subdir, sn) == 0)
    return krait_strndup(ch, n);
  return krait_asprintf("%.*s/%s", (int)n, ch, r->subdir);
}

const char *krait_record_package_type(const krait_record *r) {
  if (!r->noarch)
    return NULL;
  if (strcmp(r->noarch, "python") == 0)
    return "noarch_python";
  if (strcmp(r->noarch, "generic") == 0)
    return "noarch_generic";
  return NULL;
}

/* A name, version or build becomes part of a file name (pkgs/<dist>/,
 * conda-meta/<dist>.json): nothing that could leave that directory or hide. */
static const char *bad_component(const char *s) {
  if (!s || !*s)
    return "is empty";
  if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
    return "is a relative directory name";
  for (const char *p = s; *p; p++) {
    if (*p == '/' || *p == '\\')
      return "holds a path separator";
    if ((unsigned char)*p < 0x20 || *p == 0x7f)
      return "holds a control character";
  }
  return NULL;
}

krait_code krait_record_check_names(const krait_record *r, krait_err *err) {
  struct {
    const char *field, *value;
  } parts[] = {{"name", r->name}, {"version", r->version}, {"build", r->build}, {"fn", r->fn}};
  for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
    if (!parts[i].value && strcmp(parts[i].field, "fn") == 0)
      continue; /* records of old conda-meta files may lack fn */
    const char *why = bad_component(parts[i].value);
    if (why)
      return krait_err_set(err, KRAIT_E_UNSAFE,
                           "package record %s-%s-%s (fn %s) from channel %s: %s '%s' %s, so it cannot name a file",
                           r->name ? r->name : "?", r->version ? r->version : "?", r->build ? r->build : "?",
                           r->fn ? r->fn : "?", r->channel && *r->channel ? r->channel : "(none)", parts[i].field,
                           parts[i].value ? parts[i].value : "", why);
  }
  return KRAIT_OK;
}
