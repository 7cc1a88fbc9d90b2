/*
 * The join page: the link's token travels after "#", which browsers never send to a server (so
 * it is in no access log); this copies it into the Start form, which posts it.
 */
(function () {
  'use strict';
  const field = document.getElementById('token');
  if (field) field.value = decodeURIComponent(location.hash.slice(1));
})();
