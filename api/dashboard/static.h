/*
 * dashboard/static: the operator dashboard's files (HTML, CSS, ES
 * modules, Chart.js), read into memory once at start and served from
 * there on the console listener (GET /dashboard/, /dashboard/a/{id}/...).
 * Requests are answered from the in-memory table only: a request path
 * never reaches the file system.
 */
#ifndef JPKI_DASHBOARD_STATIC_H
#define JPKI_DASHBOARD_STATIC_H

#include <stddef.h>

#define DASHBOARD_MAX_FILES	1024
#define DASHBOARD_MAX_FILE	(8 * 1024 * 1024)
#define DASHBOARD_MAX_DEPTH	16	/* sub-folders; also ends a symlink loop */
/* Where the Chart.js file is served inside the set. */
#define DASHBOARD_CHARTJS_PATH	"vendor/chart.js"
/* The placeholder index.html carries for the assets' base URL. */
#define DASHBOARD_ASSET_BASE	"{{ASSET_BASE}}"
#define DASHBOARD_URL		"/dashboard/"
#define DASHBOARD_ASSET_URL	"/dashboard/a/"

struct dashboard_file {
	char		*path;		/* relative to the directory, '/'-separated */
	char		*data;		/* owned; index.html: after substitution */
	size_t		 len;
	const char	*ctype;		/* by extension (dashboard_content_type) */
	char		 hash[65];	/* hex SHA-256 of data */
};

struct dashboard {
	struct dashboard_file	*files;	/* sorted by path (strcmp) */
	size_t			 nfiles;
	/*
	 * First 16 hex of SHA-256 over the sorted "path\0filehash\n" lines,
	 * hashes of the files as read (index.html before substitution).
	 */
	char			 id[17];
	const struct dashboard_file *index;	/* index.html, or NULL */
};

/*
 * Read every regular file under dir (recursively, dotfiles skipped) and,
 * when chartjs is not NULL, that file as DASHBOARD_CHARTJS_PATH. Every
 * DASHBOARD_ASSET_BASE in index.html becomes DASHBOARD_ASSET_URL "<id>/".
 * Returns the set; or NULL with *missing = 1 when dir does not exist
 * (err says so), or NULL with *missing = 0 and err set on any other failure
 * (unreadable file, over the limits). A missing chartjs is no failure: the
 * set is served without it and *chartjs_missing is 1.
 */
struct dashboard *dashboard_load(const char *dir, const char *chartjs, int *missing,
	    int *chartjs_missing, char *err, size_t errlen);
void	dashboard_free(struct dashboard *);
/* The file at exactly this relative path ("js/app.js"), or NULL. */
const struct dashboard_file *dashboard_lookup(const struct dashboard *, const char *path);
/* The Content-Type the set serves a path with (its extension). */
const char *dashboard_content_type(const char *path);

#endif
