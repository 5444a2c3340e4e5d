package org.dl4jpe.cli.readme;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every Java snippet of README.md compiles as it stands, with its own imports, against the libraries (this module's
 * test class path has all of them). A snippet is imports followed by either type declarations (compiled as they
 * are) or statements (compiled as the body of a method); a line {@code // given: Type name} declares a variable
 * the statements use (a method parameter).
 */
class ReadmeSnippetsTest {
    private static final Pattern TYPE = Pattern.compile(
            "^(?:public\\s+)?(?:final\\s+|abstract\\s+)*(?:class|record|interface|enum)\\s+(\\w+)", Pattern.MULTILINE);
    private static final Pattern GIVEN = Pattern.compile("^// given: (.+)$", Pattern.MULTILINE);

    @Test
    void everyJavaSnippetCompiles(@TempDir Path dir) throws IOException {
        List<Readme.Block> snippets = Readme.blocks(Readme.text()).stream()
                .filter(b -> b.language().equals("java"))
                .toList();
        assertTrue(
                snippets.size() >= 9,
                "README.md has " + snippets.size() + " Java snippets; expected at least 9"
                        + " (the examples of 'Our layers in your networks', 'In your project', the zoo, MyDense, dedupe)");
        List<File> sources = new ArrayList<>();
        for (int i = 0; i < snippets.size(); i++) {
            sources.add(write(dir, "snippet" + i, snippets.get(i)).toFile());
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "no Java compiler in this JDK");
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path classes = Files.createDirectories(dir.resolve("classes"));
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, null)) {
            boolean ok = javac.getTask(
                            null,
                            files,
                            diagnostics,
                            List.of("-proc:none", "-classpath", classPath, "-d", classes.toString(), "--release", "17"),
                            null,
                            files.getJavaFileObjectsFromFiles(sources))
                    .call();
            StringBuilder report = new StringBuilder();
            for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
                if (d.getKind() == Diagnostic.Kind.ERROR) {
                    report.append('\n').append(where(snippets, d)).append(": ").append(d.getMessage(Locale.ROOT));
                }
            }
            assertTrue(ok && report.isEmpty(), "README.md Java snippets that do not compile:" + report);
        }
    }

    /** The compilation unit of one snippet, in a package of its own (so that two snippets may name one class). */
    private static Path write(Path dir, String pkg, Readme.Block b) throws IOException {
        List<String> imports = new ArrayList<>();
        List<String> body = new ArrayList<>();
        for (String line : b.text().split("\n")) {
            if (body.isEmpty() && (line.startsWith("import ") || line.isBlank())) {
                imports.add(line);
            } else {
                body.add(line);
            }
        }
        String code = String.join("\n", body);
        StringBuilder unit = new StringBuilder("package " + pkg + ";\n")
                .append(String.join("\n", imports))
                .append('\n');
        Matcher type = TYPE.matcher(code);
        String name;
        if (type.find()) {
            name = type.group(1);
            unit.append(code).append('\n');
        } else {
            List<String> params = new ArrayList<>();
            Matcher given = GIVEN.matcher(code);
            while (given.find()) {
                params.add(given.group(1).trim());
            }
            name = "Snippet";
            unit.append("class Snippet {\n    @SuppressWarnings(\"unused\")\n    void run(")
                    .append(String.join(", ", params))
                    .append(") throws Exception {\n")
                    .append(code)
                    .append("\n    }\n}\n");
        }
        Path file = dir.resolve(pkg).resolve(name + ".java");
        Files.createDirectories(file.getParent());
        Files.writeString(file, unit.toString());
        return file;
    }

    /** "README.md line N" for a diagnostic in snippet i: the snippet's first line plus the offset inside it. */
    private static String where(List<Readme.Block> snippets, Diagnostic<? extends JavaFileObject> d) {
        String path = d.getSource() == null ? "" : d.getSource().getName();
        Matcher m = Pattern.compile("snippet(\\d+)").matcher(path);
        if (!m.find()) {
            return path;
        }
        Readme.Block b = snippets.get(Integer.parseInt(m.group(1)));
        return "README.md snippet at line " + b.line() + " (" + path.substring(path.lastIndexOf('/') + 1) + ":"
                + d.getLineNumber() + ")";
    }
}
