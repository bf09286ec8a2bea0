/*
 * Decoding a chunked request body.  The state machine accepts CRLF or a
 * bare LF after each line (as nginx), rejects anything else, and moves the
 * payload to the front of the buffer so callers see plain body bytes.
 */
#include "config.h"

#include "http.h"

enum {
	CS_SIZE, CS_EXT, CS_SIZE_LF, CS_DATA, CS_DATA_CR, CS_DATA_LF,
	CS_TRAILER, CS_TRAILER_LINE, CS_TRAILER_LF, CS_LAST_LF, CS_DONE
};

static int
hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * Consume input from buf[0..len).  Returns the number of payload bytes now
 * at the start of buf, -1 on a malformed body; *used is the input consumed.
 * r->body_done is set once the last chunk and trailers are read.
 */
long
chunked_decode(struct request *r, char *buf, size_t len, size_t *used)
{
	size_t i = 0, out = 0, take;
	int h;

	while (i < len && r->chunk_state != CS_DONE) {
		char c = buf[i];

		switch (r->chunk_state) {
		case CS_SIZE:
			if ((h = hex(c)) >= 0) {
				if (r->chunk_left > (1LL << 55))
					return -1;
				r->chunk_left = r->chunk_left * 16 + h;
				r->chunk_digits++;
			} else if (r->chunk_digits == 0)
				return -1;
			else if (c == ';' || c == ' ' || c == '\t')
				r->chunk_state = CS_EXT;
			else if (c == '\r')
				r->chunk_state = CS_SIZE_LF;
			else if (c == '\n')
				goto size_done;
			else
				return -1;
			i++;
			break;
		case CS_EXT:
			if (c == '\r')
				r->chunk_state = CS_SIZE_LF;
			else if (c == '\n')
				goto size_done;
			else if (c == '\0')
				return -1;
			i++;
			break;
		case CS_SIZE_LF:
			if (c != '\n')
				return -1;
		size_done:
			i++;
			r->chunk_digits = 0;
			r->chunk_state = r->chunk_left == 0 ? CS_TRAILER : CS_DATA;
			break;
		case CS_DATA:
			take = len - i;
			if ((long long)take > r->chunk_left)
				take = (size_t)r->chunk_left;
			memmove(buf + out, buf + i, take);
			out += take;
			i += take;
			r->chunk_left -= (long long)take;
			if (r->chunk_left == 0)
				r->chunk_state = CS_DATA_CR;
			break;
		case CS_DATA_CR:
			if (c == '\n') {
				r->chunk_state = CS_SIZE;
			} else if (c == '\r')
				r->chunk_state = CS_DATA_LF;
			else
				return -1;
			i++;
			break;
		case CS_DATA_LF:
			if (c != '\n')
				return -1;
			r->chunk_state = CS_SIZE;
			i++;
			break;
		case CS_TRAILER:	/* start of a trailer line, or the end */
			if (c == '\r')
				r->chunk_state = CS_LAST_LF;
			else if (c == '\n')
				r->chunk_state = CS_DONE;
			else
				r->chunk_state = CS_TRAILER_LINE;
			i++;
			break;
		case CS_TRAILER_LINE:
			if (c == '\n')
				r->chunk_state = CS_TRAILER;
			else if (c == '\r')
				r->chunk_state = CS_TRAILER_LF;
			else if (c == '\0')
				return -1;
			i++;
			break;
		case CS_TRAILER_LF:
		case CS_LAST_LF:
			if (c != '\n')
				return -1;
			r->chunk_state = r->chunk_state == CS_LAST_LF ? CS_DONE :
			    CS_TRAILER;
			i++;
			break;
		}
	}
	if (r->chunk_state == CS_DONE)
		r->body_done = true;
	*used = i;
	return (long)out;
}
