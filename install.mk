# What make install puts where (SPEC.md section 1).

porticodir = $(sysconfdir)/portico
porticosites = $(porticodir)/sites-available
porticohtmldir = $(datadir)/portico/html
dist_porticohtml_DATA = conf.d/html/index.html conf.d/html/style.css

install-data-local: conf.d/portico.conf conf.d/sites-available/default
	$(MKDIR_P) $(DESTDIR)$(porticodir)/conf.d $(DESTDIR)$(porticosites) \
		$(DESTDIR)$(porticodir)/sites-enabled
	$(INSTALL_DATA) conf.d/portico.conf $(DESTDIR)$(porticodir)/portico.conf
	$(INSTALL_DATA) $(srcdir)/conf.d/mime.types $(DESTDIR)$(porticodir)/mime.types
	$(INSTALL_DATA) conf.d/sites-available/default $(DESTDIR)$(porticosites)/default
	ln -sf ../sites-available/default $(DESTDIR)$(porticodir)/sites-enabled/default

uninstall-local:
	rm -f $(DESTDIR)$(porticodir)/portico.conf $(DESTDIR)$(porticodir)/mime.types \
		$(DESTDIR)$(porticosites)/default $(DESTDIR)$(porticodir)/sites-enabled/default
