/*
 * portico-convert: an nginx configuration in, the portico configuration
 * that does the same out, in steps, one file each: nginx_parse.c reads
 * nginx's syntax into a tree of directives (includes expanded), convert.c
 * maps it onto portico's settings, notes.c comments where the result
 * still behaves otherwise than nginx, emit.c writes the libconfig text.
 */
#ifndef PORTICO_CONVERT_H
#define PORTICO_CONVERT_H

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct pool;

/* One nginx directive, as nginx's own parser sees it: quotes and escapes
 * resolved, a block's contents below it.  An include directive holds the
 * directives of the files it names, each with its own file and line. */
struct ngx_dir {
	char		**args;		/* args[0] is the directive's name */
	size_t		  nargs;
	const char	 *file;		/* as the include pattern found it */
	int		  line;
	bool		  block;	/* ended by "{" rather than ";" */
	struct ngx_dir	 *children;	/* a block's contents, an include's files' */
	struct ngx_dir	 *next;
};

/* Relative include patterns are taken from prefix, as nginx takes them
 * from the directory of its configuration file.  On bad input: -1 and
 * "FILE:LINE: why" in err. */
int	ngx_parse(struct pool *, const char *path, const char *prefix,
	    struct ngx_dir **out, char *err, size_t errlen);

/* The portico configuration being built: settings in the order nginx set
 * them first, comments among them, and the nested blocks. */
enum item_kind { IT_COMMENT, IT_STRING, IT_BOOL, IT_LIST, IT_GROUP };

struct item {
	enum item_kind	 kind;
	const char	*name;		/* the setting, or a comment's text */
	const char	**v;		/* the strings; a group's key, value pairs */
	size_t		 n;
	bool		 b;
	const struct ngx_dir *from;	/* the directive that set it first */
	struct item	*next;
};

struct block {
	unsigned	 ctx;		/* CTX_* of conf.h */
	const char	*name;		/* an upstream's name */
	struct item	*items, **itail;
	struct block	*kids, **ktail;	/* servers of main, locations of a server */
	struct block	*ups, **utail;	/* upstreams of main */
	struct block	*outer;
	struct block	*next;
};

/* The main level for the directives; untranslated counts the directives
 * left as comments.  NULL when the input is something nginx would refuse
 * (each reason printed with its file and line). */
struct block	*convert(struct pool *, const struct ngx_dir *, int *untranslated);

/* Comments where portico's merge of header groups differs from nginx. */
void	merge_notes(struct pool *, struct block *main);

void	emit(struct buf *, const struct block *main, const char *source);

#endif
