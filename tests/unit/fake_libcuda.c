/* A stand-in for the NVIDIA driver's libcuda.so.1, so that the __cuda probe
 * (libpkg/src/virtpkg.c) runs for real on a machine without a GPU. Built three
 * times (tests/CMakeLists.txt), each into its own directory that a test puts
 * on LD_LIBRARY_PATH:
 *   FAKE_CUDA_OK    cuInit succeeds, cuDriverGetVersion reports 12040 ("12.4")
 *   FAKE_CUDA_FAIL  cuInit fails with CUDA_ERROR_NO_DEVICE (100)
 *   FAKE_CUDA_HANG  cuInit never returns (a wedged driver): only the probe's
 *                   timeout ends it
 * Each cuInit first appends a line to $FAKE_CUDA_CALLED when it is set, so a
 * test can tell whether the driver was consulted at all. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

static void note_call(void) {
  const char *path = getenv("FAKE_CUDA_CALLED");
  if (!path)
    return;
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0)
    return;
  if (write(fd, "cuInit\n", 7) != 7) {
    /* nothing to do: the test then sees no call */
  }
  close(fd);
}

int cuInit(unsigned int flags);
int cuDriverGetVersion(int *version);

int cuInit(unsigned int flags) {
  (void)flags;
  note_call();
#if defined(FAKE_CUDA_HANG)
  for (;;)
    pause();
#elif defined(FAKE_CUDA_FAIL)
  return 100;
#else
  return 0;
#endif
}

int cuDriverGetVersion(int *version) {
  *version = 12040;
  return 0;
}
