// Starts Swagger UI on /api/docs (a file of our own, so the page needs no inline script).
window.addEventListener("DOMContentLoaded", () => {
  window.SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
});
