/* viewer_internal.h - the page the viewer serves, generated at build time from
 * src/viewer/page.html (cmake/embed.cmake). */
#ifndef TGS_VIEWER_INTERNAL_H
#define TGS_VIEWER_INTERNAL_H

#include <stddef.h>

extern const unsigned char tgs_viewer_page[];  /* [tgs_viewer_page_size] UTF-8 HTML */
extern const size_t tgs_viewer_page_size;

#endif
