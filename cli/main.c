/* krait: entry point; dispatches to cmd_<name>.c (placeholder until the CLI lands). */
#include <stdio.h>
int main(void) {
  puts("krait 0.1.0");
  return 0;
}
