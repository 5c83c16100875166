/* A non-zero exit code travels through SYS_EXIT_EXTENDED: the run must end with code 3. */
#include "runtime.h"

int main(void)
{
    out_str("exiting with code 3");
    out_nl();
    return 3;
}
