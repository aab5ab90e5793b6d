/* The squashfs writer of `krait pack` (libsquashfs from squashfs-tools-ng,
 * zstd). File data is compressed as it streams in (the block processor);
 * only the tree of names and inodes stays in memory until the end, where
 * squashfs wants it: inodes are written leaves first, then directories
 * children before parents, each directory's entries sorted by name. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqfs/block.h>
#include <sqfs/block_processor.h>
#include <sqfs/block_writer.h>
#include <sqfs/compressor.h>
#include <sqfs/dir_writer.h>
#include <sqfs/error.h>
#include <sqfs/frag_table.h>
#include <sqfs/id_table.h>
#include <sqfs/inode.h>
#include <sqfs/io.h>
#include <sqfs/meta_writer.h>
#include <sqfs/super.h>

#include "pack_int.h"

typedef struct sq_node {
  char *name;
  struct sq_node *parent;
  struct sq_node **children; /* directories only */
  size_t nchildren, cap;
  mode_t mode;
  sqfs_u32 mtime;
  sqfs_inode_generic_t *inode; /* files (filled by the block processor) and symlinks */
  struct sq_node *same_as;     /* a hard link: the node of the first name */
  unsigned nlink;
  sqfs_u32 ino;
  sqfs_u64 ref;
} sq_node;

typedef struct sq_sink {
  pack_sink base;
  char *display;
  sqfs_super_t super;
  sqfs_file_t *file;
  sqfs_compressor_t *cmp, *uncmp; /* uncmp reads fragments back to confirm a duplicate */
  sqfs_frag_table_t *frags;
  sqfs_block_writer_t *blkwr;
  sqfs_block_processor_t *proc;
  sqfs_id_table_t *ids;
  sqfs_meta_writer_t *im, *dm;
  sqfs_dir_writer_t *dirwr;
  sq_node *root;
  sq_node **stack; /* the directories from the root to the last one entered */
  size_t depth, stack_cap;
  sqfs_u32 next_ino;
} sq_sink;

static krait_code sq_fail(sq_sink *s, const char *what, int code, krait_err *err) {
  return krait_err_set(err, KRAIT_E_IO, "cannot write %s: squashfs %s failed (error %d)", s->display, what, code);
}

static sq_node *node_new(const char *name, const struct stat *st) {
  sq_node *n = krait_calloc(1, sizeof *n);
  n->name = krait_strdup(name);
  n->mode = st->st_mode;
  n->mtime = (sqfs_u32)st->st_mtime;
  n->nlink = 1;
  return n;
}

static void node_free(sq_node *n) {
  for (size_t i = 0; i < n->nchildren; i++)
    node_free(n->children[i]);
  free(n->children);
  free(n->inode);
  free(n->name);
  free(n);
}

static void add_child(sq_node *dir, sq_node *child) {
  if (dir->nchildren == dir->cap) {
    dir->cap = dir->cap ? dir->cap * 2 : 8;
    dir->children = krait_realloc(dir->children, dir->cap * sizeof *dir->children);
  }
  child->parent = dir;
  dir->children[dir->nchildren++] = child;
}

static sq_node *find_child(const sq_node *dir, const char *name, size_t len) {
  for (size_t i = 0; i < dir->nchildren; i++)
    if (strlen(dir->children[i]->name) == len && memcmp(dir->children[i]->name, name, len) == 0)
      return dir->children[i];
  return NULL;
}

/* The node at rel (NULL when absent), looked up from the root. */
static sq_node *lookup(sq_sink *s, const char *rel) {
  sq_node *n = s->root;
  while (n && *rel) {
    size_t len = strcspn(rel, "/");
    n = find_child(n, rel, len);
    rel += len + (rel[len] == '/');
  }
  return n;
}

/* True when node n sits at the path dir[0..len). */
static bool node_is_at(const sq_node *n, const char *dir, size_t len) {
  while (n->parent) {
    size_t nl = strlen(n->name);
    if (nl > len || memcmp(dir + len - nl, n->name, nl) != 0)
      return false;
    len -= nl;
    if (n->parent->parent) {
      if (!len || dir[len - 1] != '/')
        return false;
      len--;
    }
    n = n->parent;
  }
  return len == 0;
}

/* The parent directory of rel: entries arrive parents first, so it is
 * usually the directory last entered at that depth; a late entry (the pack
 * marker) is looked up from the root. */
static sq_node *parent_of(sq_sink *s, const char *rel, const char **base) {
  const char *slash = strrchr(rel, '/');
  *base = slash ? slash + 1 : rel;
  size_t dlen = slash ? (size_t)(slash - rel) : 0;
  size_t depth = dlen ? 1 : 0;
  for (size_t i = 0; i < dlen; i++)
    depth += rel[i] == '/';
  if (depth < s->depth && node_is_at(s->stack[depth], rel, dlen))
    return s->stack[depth];
  char *dir = krait_strndup(rel, dlen);
  sq_node *found = lookup(s, dir);
  free(dir);
  return found;
}

static krait_code attach(sq_sink *s, const char *rel, sq_node **out, const struct stat *st, krait_err *err) {
  const char *base;
  sq_node *dir = parent_of(s, rel, &base);
  if (!dir || !S_ISDIR(dir->mode))
    return krait_err_set(err, KRAIT_E_IO, "cannot write %s: no directory for %s", s->display, rel);
  *out = node_new(base, st);
  add_child(dir, *out);
  return KRAIT_OK;
}

static krait_code sq_dir(pack_sink *ps, const char *rel, const struct stat *st, krait_err *err) {
  sq_sink *s = (sq_sink *)ps;
  sq_node *n;
  if (attach(s, rel, &n, st, err) != KRAIT_OK)
    return KRAIT_E_IO;
  size_t depth = 1;
  for (const char *p = rel; *p; p++)
    depth += *p == '/';
  if (depth + 1 > s->stack_cap) {
    s->stack_cap = (depth + 1) * 2;
    s->stack = krait_realloc(s->stack, s->stack_cap * sizeof *s->stack);
  }
  s->stack[depth] = n;
  s->depth = depth + 1;
  return KRAIT_OK;
}

static krait_code sq_symlink(pack_sink *ps, const char *rel, const char *target, const struct stat *st,
                             krait_err *err) {
  sq_sink *s = (sq_sink *)ps;
  sq_node *n;
  if (attach(s, rel, &n, st, err) != KRAIT_OK)
    return KRAIT_E_IO;
  size_t len = strlen(target);
  n->inode = krait_calloc(1, sizeof *n->inode + len + 1);
  n->inode->base.type = SQFS_INODE_SLINK;
  n->inode->data.slink.nlink = 1;
  n->inode->data.slink.target_size = (sqfs_u32)len;
  n->inode->payload_bytes_available = (sqfs_u32)len + 1;
  n->inode->payload_bytes_used = (sqfs_u32)len;
  memcpy((char *)n->inode->extra, target, len);
  return KRAIT_OK;
}

static krait_code sq_hardlink(pack_sink *ps, const char *rel, const char *first, const struct stat *st,
                              krait_err *err) {
  sq_sink *s = (sq_sink *)ps;
  sq_node *target = lookup(s, first);
  if (!target || !S_ISREG(target->mode))
    return krait_err_set(err, KRAIT_E_IO, "cannot write %s: hard link %s to unknown %s", s->display, rel, first);
  sq_node *n;
  if (attach(s, rel, &n, st, err) != KRAIT_OK)
    return KRAIT_E_IO;
  n->same_as = target;
  target->nlink++;
  return KRAIT_OK;
}

static krait_code sq_file_begin(pack_sink *ps, const char *rel, const struct stat *st, size_t size,
                                krait_err *err) {
  (void)size; /* the block processor takes what comes */
  sq_sink *s = (sq_sink *)ps;
  sq_node *n;
  if (attach(s, rel, &n, st, err) != KRAIT_OK)
    return KRAIT_E_IO;
  int r = sqfs_block_processor_begin_file(s->proc, &n->inode, NULL, 0);
  return r ? sq_fail(s, "begin_file", r, err) : KRAIT_OK;
}

static krait_code sq_file_data(pack_sink *ps, const void *data, size_t len, krait_err *err) {
  sq_sink *s = (sq_sink *)ps;
  int r = sqfs_block_processor_append(s->proc, data, len);
  return r ? sq_fail(s, "append", r, err) : KRAIT_OK;
}

static krait_code sq_file_end(pack_sink *ps, krait_err *err) {
  sq_sink *s = (sq_sink *)ps;
  int r = sqfs_block_processor_end_file(s->proc);
  return r ? sq_fail(s, "end_file", r, err) : KRAIT_OK;
}

static int name_order(const void *a, const void *b) {
  return strcmp((*(sq_node *const *)a)->name, (*(sq_node *const *)b)->name);
}

/* Numbers leaves first (tree order), then directories children first, so a
 * directory knows its parent's number when it is written. */
static void number_leaves(sq_sink *s, sq_node *n) {
  if (n->nchildren)
    qsort(n->children, n->nchildren, sizeof *n->children, name_order);
  for (size_t i = 0; i < n->nchildren; i++) {
    sq_node *c = n->children[i];
    if (S_ISDIR(c->mode))
      number_leaves(s, c);
    else if (!c->same_as)
      c->ino = s->next_ino++;
  }
}

static void number_dirs(sq_sink *s, sq_node *n) {
  for (size_t i = 0; i < n->nchildren; i++)
    if (S_ISDIR(n->children[i]->mode))
      number_dirs(s, n->children[i]);
  n->ino = s->next_ino++;
}

static int write_inode(sq_sink *s, sq_node *n, sqfs_inode_generic_t *inode) {
  sqfs_u16 idx;
  int r = sqfs_id_table_id_to_index(s->ids, 0, &idx);
  if (r)
    return r;
  inode->base.mode = (sqfs_u16)n->mode;
  inode->base.uid_idx = idx;
  inode->base.gid_idx = idx;
  inode->base.mod_time = n->mtime;
  inode->base.inode_number = n->ino;
  sqfs_u64 block;
  sqfs_u32 offset;
  sqfs_meta_writer_get_position(s->im, &block, &offset);
  n->ref = (block << 16) | offset;
  return sqfs_meta_writer_write_inode(s->im, inode);
}

static int write_leaves(sq_sink *s, sq_node *n) {
  for (size_t i = 0; i < n->nchildren; i++) {
    sq_node *c = n->children[i];
    int r = 0;
    if (S_ISDIR(c->mode))
      r = write_leaves(s, c);
    else if (!c->same_as) {
      if (S_ISREG(c->mode) && c->nlink > 1) {
        if (!(r = sqfs_inode_make_extended(c->inode)))
          c->inode->data.file_ext.nlink = c->nlink;
      } else if (!S_ISREG(c->mode)) {
        c->inode->data.slink.nlink = 1;
      }
      if (!r)
        r = write_inode(s, c, c->inode);
    }
    if (r)
      return r;
  }
  return 0;
}

static int write_dirs(sq_sink *s, sq_node *n) {
  size_t subdirs = 0;
  for (size_t i = 0; i < n->nchildren; i++)
    if (S_ISDIR(n->children[i]->mode)) {
      int r = write_dirs(s, n->children[i]);
      if (r)
        return r;
      subdirs++;
    }
  int r = sqfs_dir_writer_begin(s->dirwr, 0);
  for (size_t i = 0; !r && i < n->nchildren; i++) {
    sq_node *c = n->children[i];
    sq_node *real = c->same_as ? c->same_as : c;
    r = sqfs_dir_writer_add_entry(s->dirwr, c->name, real->ino, real->ref, (sqfs_u16)real->mode);
  }
  if (!r)
    r = sqfs_dir_writer_end(s->dirwr);
  if (r)
    return r;
  sqfs_u32 parent = n->parent ? n->parent->ino : s->next_ino; /* the root's: one past the last */
  sqfs_inode_generic_t *inode = sqfs_dir_writer_create_inode(s->dirwr, 2 + subdirs, 0xFFFFFFFF, parent);
  if (!inode)
    return SQFS_ERROR_ALLOC;
  r = write_inode(s, n, inode); /* an extended one carries its index as payload */
  free(inode);
  return r;
}

static krait_code sq_finish(pack_sink *ps, krait_err *err) {
  sq_sink *s = (sq_sink *)ps;
  int r = sqfs_block_processor_finish(s->proc);
  if (r)
    return sq_fail(s, "writing data blocks", r, err);
  s->next_ino = 1;
  number_leaves(s, s->root);
  number_dirs(s, s->root);
  s->super.inode_table_start = s->file->get_size(s->file);
  if ((r = write_leaves(s, s->root)) || (r = write_dirs(s, s->root)))
    return sq_fail(s, "writing inodes", r, err);
  if ((r = sqfs_meta_writer_flush(s->im)) || (r = sqfs_meta_writer_flush(s->dm)))
    return sq_fail(s, "flushing tables", r, err);
  s->super.root_inode_ref = s->root->ref;
  s->super.directory_table_start = s->file->get_size(s->file);
  if ((r = sqfs_meta_write_write_to_file(s->dm)))
    return sq_fail(s, "writing directories", r, err);
  s->super.inode_count = s->next_ino - 1;
  if ((r = sqfs_frag_table_write(s->frags, s->file, &s->super, s->cmp)))
    return sq_fail(s, "writing the fragment table", r, err);
  if ((r = sqfs_id_table_write(s->ids, s->file, &s->super, s->cmp)))
    return sq_fail(s, "writing the id table", r, err);
  s->super.bytes_used = s->file->get_size(s->file);
  if ((r = sqfs_super_write(&s->super, s->file)))
    return sq_fail(s, "writing the super block", r, err);
  /* mounts read whole device blocks: pad to 4 KiB as mksquashfs does */
  sqfs_u64 size = s->file->get_size(s->file);
  sqfs_u64 padded = (size + SQFS_DEVBLK_SIZE - 1) / SQFS_DEVBLK_SIZE * SQFS_DEVBLK_SIZE;
  if (padded != size && (r = s->file->truncate(s->file, padded)))
    return sq_fail(s, "padding", r, err);
  return KRAIT_OK;
}

static void sq_destroy(pack_sink *ps) {
  sq_sink *s = (sq_sink *)ps;
  /* the processor may still point at file inodes: it goes first */
  sqfs_destroy(s->proc);
  sqfs_destroy(s->dirwr);
  sqfs_destroy(s->dm);
  sqfs_destroy(s->im);
  sqfs_destroy(s->ids);
  sqfs_destroy(s->blkwr);
  sqfs_destroy(s->frags);
  sqfs_destroy(s->cmp);
  sqfs_destroy(s->uncmp);
  sqfs_destroy(s->file);
  if (s->root)
    node_free(s->root);
  free(s->stack);
  free(s->display);
  free(s);
}

/* Compressor threads: two per online CPU (at most 32). mksquashfs
 * -processors N runs N block and N fragment compressor threads; the same
 * count keeps krait's share of a CPU another job also uses equal to it, and
 * costs nothing measurable on an idle machine. */
static unsigned compress_workers(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 2 : n > 16 ? 32 : 2 * (unsigned)n;
}

/* Blocks in flight (each at most one 128 KiB block): enough that reading
 * never waits for a worker to hand a block back, at most 64 MiB. */
#define SQ_BACKLOG_PER_WORKER 64
#define SQ_BACKLOG_MAX 512

pack_sink *krait_pack_sqfs_sink(const char *tmp_path, const char *display, krait_err *err) {
  sq_sink *s = krait_calloc(1, sizeof *s);
  s->display = krait_strdup(display);
  s->base = PACK_SINK_OPS(sq);
  struct stat root_st = {.st_mode = S_IFDIR | 0755, .st_mtime = time(NULL)};
  s->root = node_new("", &root_st);
  s->stack_cap = 16;
  s->stack = krait_calloc(s->stack_cap, sizeof *s->stack);
  s->stack[0] = s->root;
  s->depth = 1;
  sqfs_compressor_config_t cfg;
  int r = sqfs_compressor_config_init(&cfg, SQFS_COMP_ZSTD, SQFS_DEFAULT_BLOCK_SIZE, 0);
  cfg.level = SQFS_ZSTD_DEFAULT_LEVEL; /* 15, also mksquashfs's default for zstd */
  if (!r)
    r = sqfs_compressor_create(&cfg, &s->cmp);
  if (!r) {
    cfg.flags |= SQFS_COMP_FLAG_UNCOMPRESS;
    r = sqfs_compressor_create(&cfg, &s->uncmp);
  }
  if (!r)
    r = sqfs_super_init(&s->super, SQFS_DEFAULT_BLOCK_SIZE, (sqfs_u32)time(NULL), SQFS_COMP_ZSTD);
  if (r) {
    krait_err_set(err, KRAIT_E_IO, "cannot write %s: no zstd squashfs compressor (error %d)", display, r);
    sq_destroy(&s->base);
    return NULL;
  }
  s->file = sqfs_open_file(tmp_path, SQFS_FILE_OPEN_OVERWRITE);
  if (!s->file) {
    krait_err_set(err, KRAIT_E_IO, "cannot write %s", display);
    sq_destroy(&s->base);
    return NULL;
  }
  if ((r = sqfs_super_write(&s->super, s->file)) == 0) {
    r = s->cmp->write_options(s->cmp, s->file);
    if (r > 0) {
      s->super.flags |= SQFS_FLAG_COMPRESSOR_OPTIONS;
      r = 0;
    }
  }
  s->frags = sqfs_frag_table_create(0);
  s->blkwr = sqfs_block_writer_create(s->file, SQFS_DEVBLK_SIZE, 0);
  s->ids = sqfs_id_table_create(0);
  s->im = sqfs_meta_writer_create(s->file, s->cmp, 0);
  s->dm = sqfs_meta_writer_create(s->file, s->cmp, SQFS_META_WRITER_KEEP_IN_MEMORY);
  s->dirwr = s->dm ? sqfs_dir_writer_create(s->dm, 0) : NULL;
  if (!r && s->blkwr && s->frags) {
    /* file + uncmp: a tail fragment whose size and hash match an earlier
     * one is compared byte for byte before it is shared */
    unsigned workers = compress_workers();
    unsigned backlog = workers * SQ_BACKLOG_PER_WORKER < SQ_BACKLOG_MAX ? workers * SQ_BACKLOG_PER_WORKER
                                                                        : SQ_BACKLOG_MAX;
    sqfs_block_processor_desc_t desc = {.size = sizeof desc,
                                        .max_block_size = SQFS_DEFAULT_BLOCK_SIZE,
                                        .num_workers = workers,
                                        .max_backlog = backlog,
                                        .cmp = s->cmp,
                                        .wr = s->blkwr,
                                        .tbl = s->frags,
                                        .file = s->file,
                                        .uncmp = s->uncmp};
    r = sqfs_block_processor_create_ex(&desc, &s->proc);
  }
  if (r || !s->frags || !s->blkwr || !s->ids || !s->im || !s->dm || !s->dirwr || !s->proc) {
    krait_err_set(err, KRAIT_E_IO, "cannot write %s: squashfs writer setup failed (error %d)", display, r);
    sq_destroy(&s->base);
    return NULL;
  }
  return &s->base;
}
