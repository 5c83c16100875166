/*
 * Console lines with a checksum: every line ends in " sum=XXXXXXXX" (CRC-32 of everything before
 * " sum=", 8 upper-case hex digits) and "\r\n", so a corrupted or spliced line is detectable.
 * Build a line with line_begin/line_text/line_decimal/line_hex, send it with line_end. No libc.
 */
#ifndef CONSOLE_H
#define CONSOLE_H

#include <stdint.h>

#define LINE_CAPACITY 120u

typedef struct line {
    char text[LINE_CAPACITY];
    uint32_t length;
} line_t;

void line_begin(line_t *line, const char *first_word);
void line_text(line_t *line, const char *text);
/* Appends " name=value". */
void line_decimal(line_t *line, const char *name, uint32_t value);
void line_hex(line_t *line, const char *name, uint32_t value);
/* Appends the checksum and writes the whole line to the console (the caller serialises). */
void line_end(line_t *line);

#endif
