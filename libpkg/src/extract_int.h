/* Private to libpkg: call before starting threads that extract (reads the
 * process umask once, which cannot be done race-free later). */
#ifndef KRAIT_EXTRACT_INT_H
#define KRAIT_EXTRACT_INT_H

void krait_extract_before_threads(void);

#endif
