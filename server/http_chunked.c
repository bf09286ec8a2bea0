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
 * ck->done is set once the last chunk and trailers are read.
 */
long
chunked_decode(struct chunked *ck, char *buf, size_t len, size_t *used)
{
	size_t i = 0, out = 0, take;
	int h;

	while (i < len && ck->state != CS_DONE) {
		char c = buf[i];

		switch (ck->state) {
		case CS_SIZE:
			if ((h = hex(c)) >= 0) {
				if (ck->left > (1LL << 55))
					return -1;
				ck->left = ck->left * 16 + h;
				ck->digits++;
			} else if (ck->digits == 0)
				return -1;
			else if (c == ';' || c == ' ' || c == '\t')
				ck->state = CS_EXT;
			else if (c == '\r')
				ck->state = CS_SIZE_LF;
			else if (c == '\n')
				goto size_done;
			else
				return -1;
			i++;
			break;
		case CS_EXT:
			if (c == '\r')
				ck->state = CS_SIZE_LF;
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
			ck->digits = 0;
			ck->state = ck->left == 0 ? CS_TRAILER : CS_DATA;
			break;
		case CS_DATA:
			take = len - i;
			if ((long long)take > ck->left)
				take = (size_t)ck->left;
			memmove(buf + out, buf + i, take);
			out += take;
			i += take;
			ck->left -= (long long)take;
			if (ck->left == 0)
				ck->state = CS_DATA_CR;
			break;
		case CS_DATA_CR:
			if (c == '\n') {
				ck->state = CS_SIZE;
			} else if (c == '\r')
				ck->state = CS_DATA_LF;
			else
				return -1;
			i++;
			break;
		case CS_DATA_LF:
			if (c != '\n')
				return -1;
			ck->state = CS_SIZE;
			i++;
			break;
		case CS_TRAILER:	/* start of a trailer line, or the end */
			if (c == '\r')
				ck->state = CS_LAST_LF;
			else if (c == '\n')
				ck->state = CS_DONE;
			else
				ck->state = CS_TRAILER_LINE;
			i++;
			break;
		case CS_TRAILER_LINE:
			if (c == '\n')
				ck->state = CS_TRAILER;
			else if (c == '\r')
				ck->state = CS_TRAILER_LF;
			else if (c == '\0')
				return -1;
			i++;
			break;
		case CS_TRAILER_LF:
		case CS_LAST_LF:
			if (c != '\n')
				return -1;
			ck->state = ck->state == CS_LAST_LF ? CS_DONE :
			    CS_TRAILER;
			i++;
			break;
		}
	}
	if (ck->state == CS_DONE)
		ck->done = true;
	*used = i;
	return (long)out;
}
