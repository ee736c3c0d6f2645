#include <stdio.h>
int main(void) { puts("tgs"); return 0; }
