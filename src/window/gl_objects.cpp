#include "window/gl_objects.hpp"

#include <fmt/format.h>

#include <string>

namespace periscope::window {

void delete_texture(GLuint name) {
  glDeleteTextures(1, &name);
}
void delete_framebuffer(GLuint name) {
  glDeleteFramebuffers(1, &name);
}
void delete_program(GLuint name) {
  glDeleteProgram(name);
}
void delete_vertex_array(GLuint name) {
  glDeleteVertexArrays(1, &name);
}

GlTexture make_texture() {
  GLuint name = 0;
  glGenTextures(1, &name);
  return GlTexture(name);
}

GlFramebuffer make_framebuffer() {
  GLuint name = 0;
  glGenFramebuffers(1, &name);
  return GlFramebuffer(name);
}

GlVertexArray make_vertex_array() {
  GLuint name = 0;
  glGenVertexArrays(1, &name);
  return GlVertexArray(name);
}

namespace {

Result<GLuint> compile(GLenum kind, std::string_view source) {
  const GLuint shader = glCreateShader(kind);
  const GLchar* text = source.data();
  const auto length = static_cast<GLint>(source.size());
  glShaderSource(shader, 1, &text, &length);
  glCompileShader(shader);
  GLint ok = GL_FALSE;
  glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
  if (ok == GL_TRUE) return shader;
  std::string log(4096, '\0');
  GLsizei written = 0;
  glGetShaderInfoLog(shader, static_cast<GLsizei>(log.size()), &written, log.data());
  log.resize(static_cast<std::size_t>(written));
  glDeleteShader(shader);
  return fail(ErrorCode::kInvalidArgument, "{} shader does not compile: {}",
              kind == GL_VERTEX_SHADER ? "vertex" : "fragment", log);
}

}  // namespace

Result<GlProgram> build_program(std::string_view vertex_source, std::string_view fragment_source) {
  auto vs = compile(GL_VERTEX_SHADER, vertex_source);
  if (!vs) return tl::unexpected(vs.error());
  auto fs = compile(GL_FRAGMENT_SHADER, fragment_source);
  if (!fs) {
    glDeleteShader(*vs);
    return tl::unexpected(fs.error());
  }
  GlProgram program(glCreateProgram());
  glAttachShader(program.get(), *vs);
  glAttachShader(program.get(), *fs);
  glLinkProgram(program.get());
  // The program keeps what it needs; the shader objects can go now.
  glDeleteShader(*vs);
  glDeleteShader(*fs);
  GLint ok = GL_FALSE;
  glGetProgramiv(program.get(), GL_LINK_STATUS, &ok);
  if (ok == GL_TRUE) return program;
  std::string log(4096, '\0');
  GLsizei written = 0;
  glGetProgramInfoLog(program.get(), static_cast<GLsizei>(log.size()), &written, log.data());
  log.resize(static_cast<std::size_t>(written));
  return fail(ErrorCode::kInvalidArgument, "shaders do not link: {}", log);
}

std::string gl_error_text() {
  std::string text;
  for (GLenum e = glGetError(); e != GL_NO_ERROR; e = glGetError()) {
    if (text.empty()) text = fmt::format("GL error {:#x}", e);
  }
  return text;
}

}  // namespace periscope::window
