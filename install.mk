# What make install puts where (SPEC.md section 1), and the files that run
# portico as a system service: the init script and its defaults file, the
# systemd unit, the logrotate file, portico-ensite and portico-dissite;
# portico-convert's manual (the program is built in Makefile.am).
#
# The files an administrator edits (CONFFILES below) are never overwritten:
# when one exists and differs from the shipped version, the shipped one is
# installed beside it as NAME.default, and uninstall removes it only while
# it is still the shipped version.  The init script and the logrotate file
# go with the binary and are replaced; /etc/logrotate.d would read a
# NAME.default beside them as a second configuration.

GENERATED += contrib/portico-ensite contrib/portico.init contrib/portico.default \
	contrib/portico.logrotate contrib/portico.service man/portico-ensite.8 \
	man/portico-convert.8
contrib/portico-ensite: $(srcdir)/contrib/portico-ensite.in
contrib/portico.init: $(srcdir)/contrib/portico.init.in
contrib/portico.default: $(srcdir)/contrib/portico.default.in
contrib/portico.logrotate: $(srcdir)/contrib/portico.logrotate.in
contrib/portico.service: $(srcdir)/contrib/portico.service.in
man/portico-ensite.8: $(srcdir)/man/portico-ensite.8.in
man/portico-convert.8: $(srcdir)/man/portico-convert.8.in
EXTRA_DIST += contrib/portico-ensite.in contrib/portico.init.in \
	contrib/portico.default.in contrib/portico.logrotate.in \
	contrib/portico.service.in man/portico-ensite.8.in man/portico-convert.8.in

porticodir = $(sysconfdir)/portico
porticohtmldir = $(datadir)/portico/html
dist_porticohtml_DATA = conf.d/html/index.html conf.d/html/style.css

# portico-dissite is a link to portico-ensite, which acts by its name.
sbin_SCRIPTS = contrib/portico-ensite
man_MANS += man/portico-ensite.8 man/portico-convert.8
dist_man_MANS = man/portico-dissite.8

# Built with the program, not by a make install run as root.
noinst_DATA = conf.d/portico.conf conf.d/sites-available/default \
	contrib/portico.default contrib/portico.init contrib/portico.logrotate

if SYSTEMD_UNIT
systemdsystemunit_DATA = contrib/portico.service
endif

# SOURCE=DESTINATION, one per file an administrator edits.
CONFFILES = conf.d/portico.conf=$(porticodir)/portico.conf \
	conf.d/sites-available/default=$(porticodir)/sites-available/default \
	$(srcdir)/conf.d/mime.types=$(porticodir)/mime.types \
	contrib/portico.default=$(sysconfdir)/default/portico
portico_logdir = $(localstatedir)/log/portico

# The default site is enabled by the install that puts it there, so a
# reinstall does not enable it again once the administrator disabled it.
install-data-local: conf.d/portico.conf conf.d/sites-available/default \
		contrib/portico.default contrib/portico.init contrib/portico.logrotate
	$(MKDIR_P) $(DESTDIR)$(porticodir)/conf.d $(DESTDIR)$(porticodir)/sites-available \
		$(DESTDIR)$(porticodir)/sites-enabled $(DESTDIR)$(portico_logdir) \
		$(DESTDIR)$(sysconfdir)/init.d $(DESTDIR)$(sysconfdir)/logrotate.d
	$(INSTALL_SCRIPT) contrib/portico.init $(DESTDIR)$(sysconfdir)/init.d/portico
	$(INSTALL_DATA) contrib/portico.logrotate $(DESTDIR)$(sysconfdir)/logrotate.d/portico
	@test -e $(DESTDIR)$(porticodir)/sites-available/default || fresh=yes; \
	for pair in $(CONFFILES); do \
	  src=$${pair%%=*}; dst=$(DESTDIR)$${pair#*=}; \
	  $(MKDIR_P) "$${dst%/*}" || exit 1; \
	  if test -f "$$dst" && ! cmp -s "$$src" "$$dst"; then \
	    echo "$$dst: kept (changed since installed); the new one is $$dst.default"; \
	    dst=$$dst.default; \
	  fi; \
	  echo " $(INSTALL_DATA) $$src $$dst"; \
	  $(INSTALL_DATA) "$$src" "$$dst" || exit 1; \
	done; \
	if test "$$fresh" = yes; then \
	  echo " ln -s ../sites-available/default $(DESTDIR)$(porticodir)/sites-enabled/default"; \
	  ln -sf ../sites-available/default $(DESTDIR)$(porticodir)/sites-enabled/default; \
	fi

uninstall-local:
	rm -f $(DESTDIR)$(sysconfdir)/init.d/portico $(DESTDIR)$(sysconfdir)/logrotate.d/portico
	@for pair in $(CONFFILES); do \
	  src=$${pair%%=*}; dst=$(DESTDIR)$${pair#*=}; \
	  rm -f "$$dst.default"; \
	  if cmp -s "$$src" "$$dst"; then echo " rm -f $$dst"; rm -f "$$dst"; \
	  elif test -f "$$dst"; then echo "$$dst: kept (changed since installed)"; fi; \
	done
	@link=$(DESTDIR)$(porticodir)/sites-enabled/default; \
	if test -L "$$link" && test ! -e "$$link"; then echo " rm -f $$link"; rm -f "$$link"; fi

install-exec-hook:
	cd $(DESTDIR)$(sbindir) && rm -f portico-dissite && ln -s portico-ensite portico-dissite

uninstall-hook:
	rm -f $(DESTDIR)$(sbindir)/portico-dissite
