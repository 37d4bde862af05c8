// Small progressive enhancements; every page works without them.
document.addEventListener("htmx:responseError", function (event) {
  // Say what went wrong instead of silently doing nothing.
  var box = document.getElementById("messages");
  if (!box) return;
  var status = event.detail.xhr.status;
  var text = status === 403 ? "You do not have permission to do that."
    : status === 404 ? "That no longer exists. Reload the page."
    : "Something went wrong (" + status + "). Your change was not saved; try again.";
  box.innerHTML = '<div class="message error" role="alert">' + text + "</div>";
});
document.addEventListener("htmx:sendError", function () {
  var box = document.getElementById("messages");
  if (box) box.innerHTML = '<div class="message error" role="alert">The server could not be reached. Check your connection and try again.</div>';
});
