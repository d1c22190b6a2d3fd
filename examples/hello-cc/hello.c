/*
 * hello-cc: the multi-stage proof for the cc image. Compiled in
 * cc:trixie-dev, run in cc:trixie, it reports the C library it was
 * loaded with and the user it runs as, so its output shows both halves
 * worked: glibc from the runtime image, and the runtime image's non-root user.
 */
#include <gnu/libc-version.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void) {
    if (printf("hello from cc:trixie (glibc %s) as uid %u\n", gnu_get_libc_version(), (unsigned)getuid()) < 0) {
        return EXIT_FAILURE;
    }
    return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
