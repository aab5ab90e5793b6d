/* The Apptainer/Singularity definition file `krait pack --apptainer-def`
 * writes: the image gets the pack copied in and laid out at the destination
 * prefix (so the env runs there unchanged), and %environment activates it the
 * way `krait run` does for the variables a batch job needs. */
#include <stdlib.h>
#include <string.h>

#include "krait/fs.h"
#include "krait/pack.h"

krait_code krait_pack_apptainer_def(const char *def_path, const char *pack_path, krait_pack_format fmt,
                                    const char *dest, krait_err *err) {
  char *pack_abs = krait_path_absolute(pack_path);
  krait_buf b = KRAIT_BUF_INIT;
  bool sqfs = fmt == KRAIT_PACK_SQUASHFS;
  krait_buf_printf(&b,
                   "# Written by krait pack: an image holding the environment at %s.\n"
                   "#   apptainer build env.sif %s\n"
                   "#   apptainer exec env.sif python ...\n"
                   "# Without building an image, a squashfs pack can be bound at run time instead:\n"
                   "#   apptainer exec --bind env.sqsh:%s:image-src=/ docker://debian:bookworm-slim CMD\n"
                   "Bootstrap: docker\n"
                   "From: debian:bookworm-slim\n"
                   "\n"
                   "%%files\n"
                   "    %s /krait-env.pack\n"
                   "\n"
                   "%%post\n"
                   "    set -e\n"
                   "    apt-get update && apt-get install -y --no-install-recommends %s\n"
                   "    mkdir -p %s\n",
                   dest, def_path, dest, pack_abs, sqfs ? "squashfs-tools" : "tar zstd gzip", dest);
  if (sqfs)
    krait_buf_printf(&b, "    unsquashfs -f -d %s /krait-env.pack\n", dest);
  else
    krait_buf_printf(&b, "    tar -xaf /krait-env.pack -C %s\n", dest);
  krait_buf_printf(&b,
                   "    rm -f /krait-env.pack %s/%s\n"
                   "    rm -rf /var/lib/apt/lists/*\n"
                   "\n"
                   "%%environment\n"
                   "    export CONDA_PREFIX=%s\n"
                   "    export CONDA_DEFAULT_ENV=%s\n"
                   "    export CONDA_SHLVL=1\n"
                   "    export PATH=%s/bin:$PATH\n"
                   "    for f in %s/etc/conda/activate.d/*.sh; do [ -r \"$f\" ] && . \"$f\"; done\n"
                   "\n"
                   "%%runscript\n"
                   "    exec \"$@\"\n",
                   dest, KRAIT_PACK_MARKER, dest, dest, dest, dest);
  krait_code rc = krait_write_file_atomic_nosync(def_path, b.data, b.len, 0644, err);
  krait_buf_free(&b);
  free(pack_abs);
  return rc;
}
