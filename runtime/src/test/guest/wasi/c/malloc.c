/* Allocates 1 MiB blocks until malloc returns NULL (or 1 GiB is reached), touching each, then
 * frees them and allocates once more. Under a memory limit the runtime refuses memory.grow with
 * -1 and malloc must see NULL; the program goes on and says how far it got. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK (1 << 20)
#define MAX_BLOCKS 1024

int main(void) {
    static char *blocks[MAX_BLOCKS];
    int n = 0;
    while (n < MAX_BLOCKS) {
        char *p = malloc(BLOCK);
        if (p == NULL) {
            break;
        }
        memset(p, n & 0xFF, BLOCK);
        blocks[n++] = p;
    }
    printf("allocated %d MiB, then %s\n", n, n < MAX_BLOCKS ? "malloc returned NULL" : "stopped at the cap");
    for (int i = 0; i < n; i++) {
        if (blocks[i][BLOCK - 1] != (char)(i & 0xFF)) {
            printf("block %d corrupt\n", i);
            return 1;
        }
        free(blocks[i]);
    }
    char *again = malloc(BLOCK);
    printf("after freeing: malloc %s\n", again != NULL ? "works again" : "still fails");
    return again != NULL ? 0 : 2;
}
