package org.dl4jpe.cli.readme;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The consumer projects of README.md's "In your project" (layers only, zoo, Arbiter, CUDA) are the reactor modules
 * under {@code readme-consumers/}: each module's pom is the README's BOM import and that use's
 * {@code <dependencies>} fragment, verbatim, plus an enforcer rule, and its only source is the Java example that
 * follows the fragment. {@code mvn verify} builds them like any user's project (the rule fails the build if a
 * consumer's class path gets an ND4J backend it did not declare, an SLF4J binding, Arbiter's beta7 DL4J, ND4J or
 * DataVec, or JavaCPP 1.5.3; the example must compile); this test fails when README and modules differ. After
 * editing the README, {@code -Dreadme.consumers.write=true} rewrites the modules from it.
 */
class ReadmeConsumersTest {
    static final Path PROJECTS = Path.of("..", "readme-consumers");

    /** Every ND4J backend artifact; a consumer may have only the one(s) it declares. */
    static final List<String> BACKENDS = List.of(
            "nd4j-native",
            "nd4j-native-platform",
            "nd4j-cuda-11.6",
            "nd4j-cuda-11.6-platform",
            "nd4j-cuda-11.2",
            "nd4j-cuda-11.2-platform");

    /** SLF4J bindings (1.x and 2.x providers): the application's choice, never a library's. */
    static final List<String> BINDINGS = List.of(
            "org.slf4j:slf4j-simple",
            "org.slf4j:slf4j-log4j12",
            "org.slf4j:slf4j-jdk14",
            "org.slf4j:slf4j-nop",
            "org.slf4j:slf4j-reload4j",
            "ch.qos.logback:logback-classic",
            "org.apache.logging.log4j:log4j-slf4j-impl",
            "org.apache.logging.log4j:log4j-slf4j2-impl");

    /** The plugin versions of the parent pom (handed over by surefire). */
    private static final String ENFORCER = System.getProperty("enforcer.plugin.version", "3.5.0");

    private static final String COMPILER = System.getProperty("compiler.plugin.version", "3.13.0");
    private static final String RESOURCES = System.getProperty("resources.plugin.version", "3.3.1");
    private static final String SUREFIRE = System.getProperty("surefire.plugin.version", "3.2.5");
    private static final String JAR = System.getProperty("jar.plugin.version", "3.4.1");

    private static final Pattern CLASS = Pattern.compile("public class (\\w+)Example");
    private static final Pattern ARTIFACT = Pattern.compile("<artifactId>([^<]+)</artifactId>");

    @Test
    void consumerProjectsFromTheReadme() throws IOException {
        List<Readme.Block> blocks = Readme.blocks(Readme.section(Readme.text(), "### In your project"));
        assertTrue(
                !blocks.isEmpty()
                        && blocks.get(0).language().equals("xml")
                        && blocks.get(0).text().contains("<artifactId>dl4j-pe-bom</artifactId>")
                        && blocks.get(0).text().contains("<scope>import</scope>"),
                "'In your project' starts with the BOM import");
        String bom = blocks.get(0).text();
        List<String> written = new ArrayList<>();
        for (int i = 1; i + 1 < blocks.size(); i++) {
            Readme.Block deps = blocks.get(i);
            Readme.Block example = blocks.get(i + 1);
            if (!deps.language().equals("xml") || !example.language().equals("java")) {
                continue;
            }
            Matcher m = CLASS.matcher(example.text());
            assertTrue(
                    m.find(),
                    "the Java example at README.md line " + example.line() + " declares a public class NameExample");
            String name = m.group(1).toLowerCase(java.util.Locale.ROOT);
            check(PROJECTS.resolve(name), name, bom, deps.text(), m.group(1) + "Example", example.text());
            written.add(name);
            i++;
        }
        assertEquals(
                List.of("layers", "zoo", "sweep", "cuda"),
                written,
                "the uses 'In your project' shows: layers only, zoo, Arbiter, CUDA backend");
    }

    private static void check(Path dir, String name, String bom, String dependencies, String javaClass, String java)
            throws IOException {
        List<String> declared = new ArrayList<>();
        Matcher a = ARTIFACT.matcher(dependencies);
        while (a.find()) {
            declared.add(a.group(1));
        }
        StringBuilder banned = new StringBuilder();
        for (String b : BACKENDS) {
            if (!declared.contains(b)) {
                banned.append("                  <exclude>org.nd4j:").append(b).append("</exclude>\n");
            }
        }
        for (String b : BINDINGS) {
            banned.append("                  <exclude>").append(b).append("</exclude>\n");
        }
        String pom = """
                <?xml version="1.0" encoding="UTF-8"?>
                <project xmlns="http://maven.apache.org/POM/4.0.0"
                         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 http://maven.apache.org/xsd/maven-4.0.0.xsd">
                  <modelVersion>4.0.0</modelVersion>
                  <groupId>org.dl4jpe.readme</groupId>
                  <artifactId>readme-%s</artifactId>
                  <version>1</version>
                  <description>README.md's "In your project" as a user's project (ReadmeConsumersTest keeps the two equal).</description>
                  <properties>
                    <maven.compiler.release>17</maven.compiler.release>
                    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
                    <!-- a check, not an artifact -->
                    <maven.install.skip>true</maven.install.skip>
                    <maven.deploy.skip>true</maven.deploy.skip>
                  </properties>
                %s
                %s
                  <build>
                    <plugins>
                      <plugin>
                        <groupId>org.apache.maven.plugins</groupId>
                        <artifactId>maven-enforcer-plugin</artifactId>
                        <version>%s</version>
                        <executions>
                          <execution>
                            <id>consumer-class-path</id>
                            <phase>validate</phase>
                            <goals><goal>enforce</goal></goals>
                            <configuration>
                              <rules>
                                <bannedDependencies>
                                  <message>a dl4j-pe library brought this onto a consumer's class path</message>
                                  <excludes>
                %s                    <exclude>org.deeplearning4j:*:[1.0.0-beta7]</exclude>
                                    <exclude>org.nd4j:*:[1.0.0-beta7]</exclude>
                                    <exclude>org.datavec:*:[1.0.0-beta7]</exclude>
                                    <exclude>org.bytedeco:javacpp:[1.5.3]</exclude>
                                    <exclude>org.apache.commons:commons-lang3:[3.6]</exclude>
                                  </excludes>
                                  <includes>
                                    <include>org.deeplearning4j:arbiter-core:[1.0.0-beta7]</include>
                                    <include>org.deeplearning4j:arbiter-deeplearning4j:[1.0.0-beta7]</include>
                                  </includes>
                                </bannedDependencies>
                              </rules>
                            </configuration>
                          </execution>
                        </executions>
                      </plugin>
                      <plugin>
                        <groupId>org.apache.maven.plugins</groupId>
                        <artifactId>maven-compiler-plugin</artifactId>
                        <version>%s</version>
                      </plugin>
                      <plugin>
                        <groupId>org.apache.maven.plugins</groupId>
                        <artifactId>maven-resources-plugin</artifactId>
                        <version>%s</version>
                      </plugin>
                      <plugin>
                        <groupId>org.apache.maven.plugins</groupId>
                        <artifactId>maven-surefire-plugin</artifactId>
                        <version>%s</version>
                      </plugin>
                      <plugin>
                        <groupId>org.apache.maven.plugins</groupId>
                        <artifactId>maven-jar-plugin</artifactId>
                        <version>%s</version>
                      </plugin>
                    </plugins>
                  </build>
                </project>
                """.formatted(
                        name,
                        indent(bom),
                        indent(dependencies),
                        ENFORCER,
                        banned.toString().indent(2),
                        COMPILER,
                        RESOURCES,
                        SUREFIRE,
                        JAR);
        Path pomFile = dir.resolve("pom.xml");
        Path javaFile = dir.resolve("src/main/java").resolve(javaClass + ".java");
        if (Boolean.getBoolean("readme.consumers.write")) {
            Files.createDirectories(javaFile.getParent());
            Files.writeString(pomFile, pom, StandardCharsets.UTF_8);
            Files.writeString(javaFile, java, StandardCharsets.UTF_8);
        }
        String fix = " (after a README change: mvn test -pl dl4j-pe-cli -am -Dtest=ReadmeConsumersTest"
                + " -Dsurefire.failIfNoSpecifiedTests=false -Dreadme.consumers.write=true)";
        assertTrue(Files.exists(pomFile) && Files.exists(javaFile), dir + " is missing" + fix);
        assertEquals(pom, Files.readString(pomFile, StandardCharsets.UTF_8), pomFile + " differs from README.md" + fix);
        assertEquals(
                java, Files.readString(javaFile, StandardCharsets.UTF_8), javaFile + " differs from README.md" + fix);
    }

    private static String indent(String xml) {
        return xml.indent(2).stripTrailing();
    }
}
