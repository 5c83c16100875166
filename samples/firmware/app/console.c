#include "console.h"
#include "board.h"
#include "crc32.h"

static void append_char(line_t *line, char character)
{
    if (line->length < LINE_CAPACITY - 16u)   /* room for " sum=XXXXXXXX\r\n" is kept */
        line->text[line->length++] = character;
}

void line_text(line_t *line, const char *text)
{
    while (*text)
        append_char(line, *text++);
}

void line_begin(line_t *line, const char *first_word)
{
    line->length = 0;
    line_text(line, first_word);
}

static void append_decimal(line_t *line, uint32_t value)
{
    char digits[10];
    uint32_t count = 0;
    do {
        digits[count++] = (char)('0' + value % 10u);
        value /= 10u;
    } while (value != 0);
    while (count)
        append_char(line, digits[--count]);
}

static void append_hex(line_t *line, uint32_t value)
{
    static const char hex_digits[] = "0123456789ABCDEF";
    for (int shift = 28; shift >= 0; shift -= 4)
        append_char(line, hex_digits[(value >> shift) & 0xFu]);
}

void line_decimal(line_t *line, const char *name, uint32_t value)
{
    append_char(line, ' ');
    line_text(line, name);
    append_char(line, '=');
    append_decimal(line, value);
}

void line_hex(line_t *line, const char *name, uint32_t value)
{
    append_char(line, ' ');
    line_text(line, name);
    append_char(line, '=');
    append_hex(line, value);
}

void line_end(line_t *line)
{
    uint32_t sum = crc32_final(crc32_update(CRC32_INITIAL, line->text, line->length));
    /* Written directly: append_char keeps exactly this much room. */
    static const char label[] = " sum=";
    for (uint32_t i = 0; label[i]; i++)
        line->text[line->length++] = label[i];
    static const char hex_digits[] = "0123456789ABCDEF";
    for (int shift = 28; shift >= 0; shift -= 4)
        line->text[line->length++] = hex_digits[(sum >> shift) & 0xFu];
    line->text[line->length++] = '\r';
    line->text[line->length++] = '\n';
    for (uint32_t i = 0; i < line->length; i++)
        board_console_write_byte((uint8_t)line->text[i]);
}
