/* Prints the values an assembly test recorded, one "label = value" line each. */
#include "runtime.h"

extern uint32_t run_recorded_tests(uint32_t *results);
extern const char dsm_record_labels[];

static uint32_t results[4096];

int main(void)
{
    const uint32_t count = run_recorded_tests(results);
    const char *label = dsm_record_labels;
    for (uint32_t i = 0; i < count; i++)
    {
        if (*label == '%')
        {
            out_str(label + 1);
            out_str(" = ");
            out_flags(results[i]);
        }
        else
        {
            out_str(label);
            out_str(" = ");
            out_hex32(results[i]);
        }
        out_nl();
        label += strlen(label) + 1;
    }
    out_str("records ");
    out_udec(count);
    out_nl();
    return 0;
}
